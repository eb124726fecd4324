from werkzeug.exceptions import NotFound

from odoo.http import Controller, Stream, request, route

from ..models.website_catalog import FEED_RETRY_AFTER_SECONDS


class TikTokCatalog(Controller):

    # Not read-only: a feed out of date wakes its cron (an ir.cron.trigger).
    @route('/tiktok/catalog/<int:website_id>/<string:secret>/<string:currency>.csv', type='http', auth='public',
           website=True, sitemap=False, multilang=False, readonly=False, save_session=False)
    def tiktok_catalog(self, website_id, secret, currency, **kwargs):
        """The TikTok catalog feed of a website in one currency (models/website_catalog.py).

        Every wrong part of the URL answers the same 404: a wrong secret is
        told from no such website, or from a currency not sold, by nothing.
        A large feed never written yet answers 503 with Retry-After while the
        cron writes it.
        """
        found = request.env['website']._tiktok_catalog_for(website_id, secret, currency)
        if not found:
            raise NotFound()
        website, pricelist = found
        # A newer feed published between choosing a file and opening it removes the
        # chosen one: choose again, once (two publications in that instant are not a thing).
        for last_try in (False, True):
            served = website._tiktok_catalog_file(pricelist, currency)
            if not served:
                return request.make_response(
                    request.env._('The catalog feed is being prepared. Please try again in a few minutes.'),
                    headers=[('Content-Type', 'text/plain; charset=utf-8'),
                             ('Retry-After', str(FEED_RETRY_AFTER_SECONDS))],
                    status=503,
                )
            path, etag = served
            try:
                return Stream(type='path', path=path, mimetype='text/csv', etag=etag, conditional=True,
                              download_name='tiktok-catalog-%s.csv' % currency).get_response()
            except FileNotFoundError:
                if last_try:
                    raise
