import hashlib
import os
import tempfile
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.http import request
from odoo.tools import config, urls

from ..tools.access import ADMINISTRATORS
from ..tools.catalog_feed import (
    catalog_secret, csv_text, feed_availability, feed_price, is_currency_code, one_line, secret_matches,
)
from ..tools.contents import content_group_id

# Where the rotation value of each website's feed secret is kept: an
# ir.config_parameter, which only administrators read or write.
ROTATION_PARAM = 'website_tiktok_events.catalog_rotation.%s'
FEED_PATH = '/tiktok/catalog/%s/%s/%s.csv'
# Products read, priced and written per batch: memory holds one batch at a time.
FEED_BATCH_SIZE = 500
# A written feed is served again while nothing it shows changed, at most this
# long (prices by date and stock move without touching the products).
FEED_CACHE_SECONDS = 600


class WebsiteCatalog(models.Model):
    """The website's TikTok catalog feed: one CSV per currency of its
    pricelists, at a URL holding a secret an administrator can rotate
    (controllers/catalog.py serves it; tools/catalog_feed.py writes its rows).
    Its ``sku_id`` is the events' ``content_id`` (``_tiktok_content_id``)."""
    _inherit = 'website'

    tiktok_catalog_urls = fields.Text(
        string='TikTok catalog feeds', compute='_compute_tiktok_catalog_urls', groups=ADMINISTRATORS,
        help='The URL of this website\'s TikTok catalog feed in each currency of its pricelists, to paste '
             'in TikTok Catalog Manager as a scheduled feed. Anyone holding a URL can read the published '
             'products: rotate the secret if one leaked.')

    def _compute_tiktok_catalog_urls(self):
        for website in self:
            base_url = website.get_base_url()
            website.tiktok_catalog_urls = '\n'.join(
                urls.urljoin(base_url, website._tiktok_catalog_path(currency))
                for currency in website._tiktok_catalog_pricelists()
            ) if website.id else False

    def action_tiktok_rotate_catalog_secret(self):
        """A new secret for the feed URLs of these websites: the old URLs answer 404 from now on."""
        if not self.env.user.has_group(ADMINISTRATORS):
            raise AccessError(self.env._('Only administrators can rotate the TikTok catalog secret.'))
        params = self.env['ir.config_parameter'].sudo()
        for website in self:
            params.set_param(ROTATION_PARAM % website.id, os.urandom(16).hex())
        return True

    def _tiktok_catalog_secret(self):
        self.ensure_one()
        params = self.env['ir.config_parameter'].sudo()
        return catalog_secret(params.get_param('database.secret'), self.id,
                              params.get_param(ROTATION_PARAM % self.id))

    def _tiktok_catalog_path(self, currency_name):
        self.ensure_one()
        return FEED_PATH % (self.id, self._tiktok_catalog_secret(), currency_name)

    def _tiktok_catalog_pricelists(self):
        """Currency name → the pricelist that prices the feed in it: the
        first (by sequence) of the website's pricelists in each currency; the
        company's currency without a pricelist when the shop has none. Never a
        pricelist behind a promotion code: its prices are for those who hold
        the code, not for an ad."""
        self.ensure_one()
        pricelists = {}
        for pricelist in self.sudo().pricelist_ids.filtered(lambda pricelist: not pricelist.code).sorted():
            pricelists.setdefault(pricelist.currency_id.name, pricelist)
        return pricelists or {self.company_id.sudo().currency_id.name: self.env['product.pricelist']}

    @api.model
    def _tiktok_catalog_for(self, website_id, secret, currency_name):
        """The website and pricelist of a feed URL, or None when any part of it
        is wrong (no such website, wrong secret, a currency the website does
        not sell in): the caller answers 404 alike, leaving nothing to guess from."""
        if not is_currency_code(currency_name):
            return None
        website = self.sudo().browse(website_id).exists()
        if not website or not secret_matches(website._tiktok_catalog_secret(), secret):
            return None
        pricelists = website._tiktok_catalog_pricelists()
        if currency_name not in pricelists:
            return None
        return website, pricelists[currency_name]

    def _tiktok_catalog_domain(self):
        """The products of the feed: published on this website (or on all),
        sold, active (the ORM's default)."""
        self.ensure_one()
        return Domain.AND([
            Domain('is_published', '=', True),
            Domain('sale_ok', '=', True),
            self.website_domain(),
        ])

    def _tiktok_catalog_fingerprint(self, pricelist):
        """What changes when a product, a template, the pricelist of the feed or
        the website's Content ID setting changes, and at least every
        FEED_CACHE_SECONDS."""
        self.ensure_one()
        products = self.env['product.product'].sudo()
        domain = self._tiktok_catalog_domain()
        [(count, product_written)] = products._read_group(domain, aggregates=['__count', 'write_date:max'])
        [(template_written,)] = self.env['product.template'].sudo()._read_group(
            [('product_variant_ids', 'any', domain)], aggregates=['write_date:max'])
        [(rule_written,)] = self.env['product.pricelist.item'].sudo()._read_group(
            [('pricelist_id', '=', pricelist.id)], aggregates=['write_date:max'])
        parts = (self.id, self._tiktok_resolved_settings()['content_id_source'], pricelist.id, pricelist.write_date,
                 count, product_written, template_written, rule_written, self.write_date,
                 int(time.time() // FEED_CACHE_SECONDS))
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]

    def _tiktok_catalog_file(self, pricelist, currency_name):
        """The path of the feed's CSV and its ETag: written when what it shows
        changed, else the one written before (in the database's filestore)."""
        self.ensure_one()
        etag = self._tiktok_catalog_fingerprint(pricelist)
        folder = os.path.join(config.filestore(self.env.cr.dbname), 'tiktok_catalog')
        os.makedirs(folder, exist_ok=True)
        prefix = '%s-%s-' % (self.id, currency_name)
        path = os.path.join(folder, '%s%s.csv' % (prefix, etag))
        if not os.path.exists(path):
            with tempfile.NamedTemporaryFile('w', encoding='utf-8', newline='', dir=folder, delete=False,
                                             suffix='.part') as part:
                self._tiktok_write_catalog(part, pricelist)
            os.replace(part.name, path)
            for name in os.listdir(folder):
                if name.startswith(prefix) and name != os.path.basename(path):
                    try:
                        os.remove(os.path.join(folder, name))
                    except FileNotFoundError:  # another worker removed it first
                        pass
        return path, etag

    def _tiktok_write_catalog(self, out, pricelist):
        """Write the feed to ``out`` batch by batch, forgetting each batch's
        records before reading the next: memory stays flat whatever the
        number of products."""
        self.ensure_one()
        website = self.sudo().with_context(lang=self.default_lang_id.code or self.env.lang)
        # website_sale prices with the request's pricelist (and the website's
        # currency follows it): the feed's, for the rest of this request.
        request.pricelist = pricelist
        website.invalidate_recordset(['currency_id'])
        product_ids = website.env['product.product']._search(website._tiktok_catalog_domain(), order='id')
        product_ids = list(product_ids)
        out.write(csv_text([], header=True))
        for start in range(0, len(product_ids), FEED_BATCH_SIZE):
            batch = website.env['product.product'].browse(product_ids[start:start + FEED_BATCH_SIZE])
            out.write(csv_text(website._tiktok_catalog_rows(batch, pricelist)))
            website.env.invalidate_all()

    def _tiktok_catalog_rows(self, products, pricelist):
        """One feed row per product of ``products`` that can be sold as it is
        (a variant the shop can make, not a product whose zero price the shop
        refuses to sell)."""
        self.ensure_one()
        base_url = self.get_base_url()
        feed = self.env['product.feed'].new({'website_id': self.id, 'pricelist_id': pricelist.id})
        brand = self.company_id.name
        for product in products:
            # Without attribute values a product is its template's only
            # variant: nothing to exclude it, and the check costs a query.
            if product.product_template_attribute_value_ids and not product._is_variant_possible():
                continue
            prices = self._tiktok_catalog_prices(product, pricelist)
            if prices['prevent_zero_price_sale']:
                continue
            currency = prices['currency']
            title = one_line(product._tiktok_content_name())
            template = product.product_tmpl_id
            link = product.website_url
            if pricelist:
                link += ('&' if '?' in link else '?') + 'pricelist=%s' % pricelist.id
            yield {
                'sku_id': self._tiktok_content_id(product),
                'title': title,
                'description': one_line(product.description_sale or product.website_meta_description) or title,
                'availability': feed_availability(feed._prepare_gmc_stock_info(product).get('availability')),
                'condition': 'new',
                'price': feed_price(prices['list_price'], currency.name, currency.decimal_places),
                'link': urls.urljoin(base_url, link),
                'image_link': (urls.urljoin(base_url, '/web/image/product.product/%s/image_1024' % product.id)
                               if product.image_128 else ''),
                'brand': brand,
                'item_group_id': content_group_id(template.id) if template.product_variant_count > 1 else '',
                'sale_price': (feed_price(prices['price'], currency.name, currency.decimal_places)
                               if prices['has_discounted_price'] else ''),
            }

    def _tiktok_catalog_prices(self, product, pricelist):
        """The product's prices in the pricelist as the shop shows them
        (website_sale's own computation: taxes as the website displays them,
        the price before discount when the pricelist shows one)."""
        price_context = product._get_product_price_context(product.product_template_attribute_value_ids)
        return product.with_context(**price_context).product_tmpl_id._get_additionnal_combination_info(
            product, quantity=1.0, uom=product.uom_id, date=fields.Date.context_today(self), website=self,
        )
