from werkzeug.exceptions import NotFound

from odoo.http import Controller, Stream, request, route


class TikTokCatalog(Controller):

    @route('/tiktok/catalog/<int:website_id>/<string:secret>/<string:currency>.csv', type='http', auth='public',
           website=True, sitemap=False, multilang=False, readonly=True, save_session=False)
    def tiktok_catalog(self, website_id, secret, currency, **kwargs):
        """The TikTok catalog feed of a website in one currency (models/website_catalog.py).

        Every wrong part of the URL answers the same 404: a wrong secret is
        told from no such website, or from a currency not sold, by nothing.
        """
        found = request.env['website']._tiktok_catalog_for(website_id, secret, currency)
        if not found:
            raise NotFound()
        website, pricelist = found
        path, etag = website._tiktok_catalog_file(pricelist, currency)
        return Stream(type='path', path=path, mimetype='text/csv', etag=etag, conditional=True,
                      download_name='tiktok-catalog-%s.csv' % currency).get_response()
