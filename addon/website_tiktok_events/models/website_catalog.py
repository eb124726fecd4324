import contextlib
import fcntl
import hashlib
import io
import os
import tempfile
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.http import _request_stack, request
from odoo.addons.base.models.ir_cron import MIN_TIME_PER_JOB
from odoo.tools import config, urls

from ..tools.access import ADMINISTRATORS
from ..tools.catalog_feed import (
    PART_SUFFIX, PROGRESS_SUFFIX, FeedProgress, catalog_secret, cron_run_seconds, csv_text, feed_availability,
    feed_file_fingerprint, feed_file_name, feed_part_fingerprint, feed_price, is_currency_code, one_line,
    read_progress, remove_progress, secret_matches, write_progress,
)
from ..tools.contents import content_group_id

# Where the rotation value of each website's feed secret is kept: an
# ir.config_parameter, which only administrators read or write.
ROTATION_PARAM = 'website_tiktok_events.catalog_rotation.%s'
FEED_PATH = '/tiktok/catalog/%s/%s/%s.csv'
# Products read, priced and written per batch: memory holds one batch at a time.
FEED_BATCH_SIZE = 500
# A written feed is served again while nothing it shows changed, at most this
# long (prices by date and stock move without touching the products): the
# cron rewrites it at least this often, a large feed costing minutes of CPU.
FEED_CACHE_SECONDS = 3600
# The feeds' folder in the database's filestore.
FEED_FOLDER = 'tiktok_catalog'
# A request that finds its feed out of date writes it itself when it has at
# most this many products (seconds of work, well inside Odoo's 120 s request
# limit); a larger feed is the cron's.
FEED_INLINE_PRODUCTS = 2000
# Seconds a fetcher is asked to wait for a feed never written yet: the cron
# is woken, and writes a batch per second or faster.
FEED_RETRY_AFTER_SECONDS = 300
FEED_CRON = 'website_tiktok_events.ir_cron_tiktok_catalog_feeds'


class FeedRequest:
    """What website_sale reads from the request while it prices a product as
    the shop shows it, for a feed written by a cron (no request): the feed's
    website, pricelist and fiscal position, an empty session."""

    def __init__(self, website, pricelist, fiscal_position):
        self.env = website.env
        self.website = website
        self.pricelist = pricelist
        self.fiscal_position = fiscal_position
        self.session = {}


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

    def _tiktok_catalog_version(self, pricelist):
        """The feed's fingerprint and its number of products. The fingerprint
        changes when a product, a template, the pricelist of the feed or the
        website's Content ID setting changes, and at least every
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
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32], count

    def _tiktok_catalog_folder(self):
        folder = os.path.join(config.filestore(self.env.cr.dbname), FEED_FOLDER)
        os.makedirs(folder, exist_ok=True)
        return folder

    def _tiktok_catalog_written(self, currency_name):
        """The newest complete feed of this website in this currency, as
        (path, fingerprint), or None when none was ever written."""
        self.ensure_one()
        folder = self._tiktok_catalog_folder()
        written = []
        for entry in os.scandir(folder):
            fingerprint = feed_file_fingerprint(entry.name, self.id, currency_name)
            if fingerprint:
                try:
                    written.append((entry.stat().st_mtime_ns, entry.path, fingerprint))
                except FileNotFoundError:  # replaced by a newer one meanwhile
                    pass
        return max(written)[1:] if written else None

    def _tiktok_catalog_file(self, pricelist, currency_name):
        """The feed to serve, as (path, ETag), or None while it is being
        prepared. A request never writes a large feed (the cron does, see
        _cron_tiktok_write_catalogs): it serves the newest one written, and
        wakes the cron when what the feed shows changed since."""
        self.ensure_one()
        fingerprint, count = self._tiktok_catalog_version(pricelist)
        written = self._tiktok_catalog_written(currency_name)
        if written and written[1] == fingerprint:
            return written
        if count <= FEED_INLINE_PRODUCTS:
            return self._tiktok_catalog_write_whole(pricelist, currency_name, fingerprint), fingerprint
        self._tiktok_catalog_wake_writer()
        return written

    def _tiktok_catalog_write_whole(self, pricelist, currency_name, fingerprint):
        """Write the whole feed now (a temporary file renamed when complete:
        a reader sees the old file or the new one, never half of one)."""
        folder = self._tiktok_catalog_folder()
        with tempfile.NamedTemporaryFile('w', encoding='utf-8', newline='', dir=folder, delete=False,
                                         suffix='.tmp') as part:
            part.write(csv_text([], header=True))
            for _progress in self._tiktok_write_catalog(part, pricelist):
                pass
        return self._tiktok_catalog_publish(part.name, currency_name, fingerprint)

    def _tiktok_catalog_publish(self, part_path, currency_name, fingerprint):
        """Rename a complete feed to its name and remove the older ones."""
        folder = self._tiktok_catalog_folder()
        name = feed_file_name(self.id, currency_name, fingerprint)
        path = os.path.join(folder, name)
        os.replace(part_path, path)
        for entry in os.scandir(folder):
            if entry.name != name and feed_file_fingerprint(entry.name, self.id, currency_name):
                try:
                    os.remove(entry.path)
                except FileNotFoundError:  # another worker removed it first
                    pass
        return path

    def _tiktok_catalog_wake_writer(self):
        """Ask the feed cron to run soon (once: a trigger already waiting is enough)."""
        cron = self.env.ref(FEED_CRON, raise_if_not_found=False)
        if cron and not self.env['ir.cron.trigger'].sudo().search_count([('cron_id', '=', cron.id)], limit=1):
            cron.sudo()._trigger()

    def _tiktok_catalog_write_step(self, pricelist, currency_name, fingerprint, deadline=None):
        """Write on this website's feed in this currency until ``deadline``
        (time.monotonic(); at least one batch): the feed in progress if there
        is one (finished whatever changed since it began, so a busy shop's
        feed is finished at all), else a new one of ``fingerprint``.

        The rows go to a ``.part`` file; after each batch its size and last
        product are saved, so a run killed mid-batch resumes from its last
        complete batch. A lock on the part keeps a second writer out.
        Returns (products written, products remaining, complete)."""
        self.ensure_one()
        folder = self._tiktok_catalog_folder()
        parts = sorted(entry.name for entry in os.scandir(folder)
                       if feed_part_fingerprint(entry.name, self.id, currency_name))
        part_name = parts[0] if parts else feed_file_name(self.id, currency_name, fingerprint) + PART_SUFFIX
        fingerprint = feed_part_fingerprint(part_name, self.id, currency_name)
        part_path = os.path.join(folder, part_name)
        progress_path = part_path + PROGRESS_SUFFIX
        with open(part_path, 'ab+') as part:
            try:
                fcntl.flock(part, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another worker is writing it
                return 0, 0, False
            # Bytes past the last complete batch are a batch cut short; a
            # part shorter than its progress (or missing) starts again.
            progress = read_progress(progress_path, os.fstat(part.fileno()).st_size)
            part.truncate(progress.size)
            part.seek(progress.size)
            out = io.TextIOWrapper(part, encoding='utf-8', newline='', write_through=True)
            if not progress.size:
                out.write(csv_text([], header=True))
            written, remaining = 0, 0
            for last_id, batch_size, remaining in self._tiktok_write_catalog(out, pricelist, progress.after_id,
                                                                             deadline):
                out.flush()
                os.fsync(part.fileno())
                write_progress(progress_path, FeedProgress(after_id=last_id, size=part.tell()))
                written += batch_size
            out.detach()
            if remaining:
                return written, remaining, False
            # The progress goes first: a part without one starts again, a
            # progress without its part would claim bytes no longer there.
            remove_progress(progress_path)
            self._tiktok_catalog_publish(part_path, currency_name, fingerprint)
        return written, 0, True

    @api.model
    def _cron_tiktok_write_catalogs(self):
        """Write every website's feeds whose content changed. A run writes for
        at most half of Odoo's cron time limit (counted from the job's start:
        Odoo may call this several times in one job), saving its progress
        after each batch; what remains is written by the next run, which the
        cron asks for at once (a feed resumes from its last complete batch)."""
        Cron = self.env['ir.cron']
        job_end_time = self.env.context.get('cron_end_time')
        started = job_end_time - MIN_TIME_PER_JOB if job_end_time else time.monotonic()
        deadline = started + cron_run_seconds(config['limit_time_real_cron'], config['limit_time_real'])
        todo = self.sudo().search([])._tiktok_catalogs_to_write()
        pending = sum(count for *_feed, count in todo)
        for website, pricelist, currency_name, fingerprint, _count in todo:
            while time.monotonic() < deadline:
                written, remaining, complete = website._tiktok_catalog_write_step(
                    pricelist, currency_name, fingerprint, deadline)
                if not written and not complete:  # another writer has it: its run finishes it
                    break
                pending = max(pending - written, remaining)
                Cron._commit_progress(written, remaining=pending)
                if complete:
                    break
            else:
                # Out of time: the rest in the next run, at once (not at the
                # cron's next interval).
                cron = self.env.ref(FEED_CRON, raise_if_not_found=False)
                if cron and self.env.context.get('cron_id') == cron.id:
                    cron.sudo()._trigger()
                return
        Cron._commit_progress(remaining=0)

    def _tiktok_catalogs_to_write(self):
        """(website, pricelist, currency name, fingerprint, products) of each
        feed of these websites that a writer has to write: one in progress,
        or one whose content changed since it was last written."""
        todo = []
        for website in self:
            folder = website._tiktok_catalog_folder()
            names = os.listdir(folder)
            for currency_name, pricelist in website._tiktok_catalog_pricelists().items():
                fingerprint, count = website._tiktok_catalog_version(pricelist)
                in_progress = any(feed_part_fingerprint(name, website.id, currency_name) for name in names)
                if in_progress or feed_file_name(website.id, currency_name, fingerprint) not in names:
                    todo.append((website, pricelist, currency_name, fingerprint, count))
        return todo

    @contextlib.contextmanager
    def _tiktok_feed_env(self, pricelist):
        """This website as it prices the feed, in a request or in a cron: the
        website's public visitor, company, language and the feed's pricelist,
        whoever asked. website_sale prices with the request's pricelist and
        fiscal position; a cron has no request, so it gets one holding just
        these (and a request's own are set back afterwards)."""
        self.ensure_one()
        website = self.sudo()
        website = website.with_user(website.user_id).with_context(
            lang=website.default_lang_id.code or self.env.lang, website_id=website.id,
            allowed_company_ids=[website.company_id.id],
        ).sudo()
        # The public visitor's fiscal position, not the fetcher's (TikTok's
        # servers, located by GeoIP): the feed's taxes depend on no one.
        fiscal_position = website.env['account.fiscal.position']._get_fiscal_position(website.user_id.partner_id)
        own_request = not request
        if own_request:
            _request_stack.push(FeedRequest(website, pricelist, fiscal_position))
        else:
            saved = request.pricelist, request.fiscal_position
            request.pricelist, request.fiscal_position = pricelist, fiscal_position
        # The website's currency follows the request's pricelist (website_sale).
        website.invalidate_recordset(['currency_id'])
        try:
            yield website
        finally:
            if own_request:
                _request_stack.pop()
            else:
                request.pricelist, request.fiscal_position = saved
            website.invalidate_recordset(['currency_id'])

    def _tiktok_write_catalog(self, out, pricelist, after_id=0, deadline=None):
        """Write the feed's rows of the products after ``after_id`` to ``out``
        batch by batch, reading each batch's ids after the last one and
        forgetting its records before the next: memory stays flat whatever
        the number of products (not even their ids are held). With a
        ``deadline`` (time.monotonic()), stops after the first batch that ends
        past it. Yields (last product id, products, products remaining) after
        each batch; products published meanwhile are written too when their
        id comes after, else by the next feed (they change its fingerprint)."""
        self.ensure_one()
        with self._tiktok_feed_env(pricelist) as website:
            Product = website.env['product.product']
            catalog = website._tiktok_catalog_domain()
            remaining = Product.search_count(Domain.AND([catalog, Domain('id', '>', after_id)]))
            while batch_ids := list(Product._search(Domain.AND([catalog, Domain('id', '>', after_id)]),
                                                    order='id', limit=FEED_BATCH_SIZE)):
                out.write(csv_text(website._tiktok_catalog_rows(Product.browse(batch_ids), pricelist)))
                website.env.invalidate_all()
                after_id, remaining = batch_ids[-1], max(remaining - len(batch_ids), 0)
                yield after_id, len(batch_ids), remaining
                if deadline is not None and time.monotonic() >= deadline:
                    return

    def _tiktok_catalog_variant_possible(self, product):
        """The product is a combination the shop can make (the feed's rule, and the catalog match's)."""
        # Without attribute values a product is its template's only variant:
        # nothing to exclude it, and the check costs a query.
        return not product.product_template_attribute_value_ids or product._is_variant_possible()

    def _tiktok_catalog_rows(self, products, pricelist):
        """One feed row per product of ``products`` that can be sold as it is
        (a variant the shop can make, not a product whose zero price the shop
        refuses to sell)."""
        self.ensure_one()
        base_url = self.get_base_url()
        feed = self.env['product.feed'].new({'website_id': self.id, 'pricelist_id': pricelist.id})
        brand = self.company_id.name
        content_id_source = self._tiktok_resolved_settings()['content_id_source']
        # Whether a product has an image, not the image: sizes instead of bytes.
        with_images = set(products.with_context(bin_size=True).filtered('image_128').ids)
        with pricelist._tiktok_batch_rules(products):
            for product in products:
                if not self._tiktok_catalog_variant_possible(product):
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
                    'sku_id': self._tiktok_content_id(product, content_id_source),
                    'title': title,
                    'description': one_line(product.description_sale or product.website_meta_description) or title,
                    'availability': feed_availability(feed._prepare_gmc_stock_info(product).get('availability')),
                    'condition': 'new',
                    'price': feed_price(prices['list_price'], currency.name, currency.decimal_places),
                    'link': urls.urljoin(base_url, link),
                    'image_link': (urls.urljoin(base_url, '/web/image/product.product/%s/image_1024' % product.id)
                                   if product.id in with_images else ''),
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
