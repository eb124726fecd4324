import contextlib
import csv
import fcntl
import io
import json
import os
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.website_tiktok_events.models import website_catalog
from odoo.addons.website_tiktok_events.tools.catalog_feed import (
    FEED_COLUMNS, PART_SUFFIX, PROGRESS_SUFFIX, cron_run_seconds, feed_file_fingerprint,
)
from .common import GLOBAL_TOKEN, WEBSITE_TOKEN, TikTokCase
from .test_page_injection import config_blob

# A product name and description as merchants type them: commas, quotes, line breaks.
AWKWARD_NAME = 'Shirt, "Classic"\nfit'
COST = 777.77
# A 1x1 PNG: a product with an image.
PIXEL = ('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==')


@tagged('post_install', '-at_install')
class TestCatalogFeed(HttpCase, TikTokCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.website.tiktok_access_token = WEBSITE_TOKEN
        cls.usd = cls.website.company_id.currency_id
        cls.other = cls.env.ref('base.EUR') if cls.usd.name != 'EUR' else cls.env.ref('base.USD')
        cls.other.active = True
        cls.env['res.currency.rate'].create({'currency_id': cls.other.id, 'rate': 2.0, 'name': '2020-01-01'})
        # Only this test's products in the feed.
        cls.env['product.template'].search([('is_published', '=', True)]).is_published = False
        Pricelist = cls.env['product.pricelist']
        # Only this test's pricelists on the website.
        Pricelist.search([]).write({'website_id': cls.env['website'].create({'name': 'Elsewhere'}).id})
        cls.home_list = Pricelist.create({'name': 'Home', 'currency_id': cls.usd.id, 'website_id': cls.website.id,
                                          'selectable': True, 'sequence': 1})
        cls.other_list = Pricelist.create({
            'name': 'Abroad', 'currency_id': cls.other.id, 'website_id': cls.website.id, 'selectable': True,
            'sequence': 2,
            'item_ids': [(0, 0, {'compute_price': 'percentage', 'percent_price': 10, 'applied_on': '3_global'})],
        })
        size = cls.env['product.attribute'].create({
            'name': 'Size', 'value_ids': [(0, 0, {'name': 'S'}), (0, 0, {'name': 'M'})]})
        cls.shirt = cls.env['product.template'].create({
            'name': AWKWARD_NAME, 'list_price': 20.0, 'standard_price': COST, 'is_published': True,
            'description_sale': 'Soft,\n"organic" cotton',
            'attribute_line_ids': [(0, 0, {'attribute_id': size.id, 'value_ids': [(6, 0, size.value_ids.ids)]})],
        })
        cls.shirt_s, cls.shirt_m = cls.shirt.product_variant_ids
        cls.shirt_s.default_code = ' SKU-S '
        cls.mug = cls.env['product.product'].create({
            'name': 'Mug', 'list_price': 8.0, 'is_published': True, 'default_code': 'MUG-1',
            'website_id': cls.website.id})
        hidden = dict(list_price=5.0)
        cls.unpublished = cls.env['product.product'].create({'name': 'Draft', 'is_published': False, **hidden})
        cls.archived = cls.env['product.product'].create({'name': 'Old', 'is_published': True, **hidden})
        cls.archived.product_tmpl_id.active = False
        cls.not_sold = cls.env['product.product'].create({'name': 'Kept', 'is_published': True, 'sale_ok': False,
                                                          **hidden})
        cls.other_site = cls.env['product.product'].create({
            'name': 'Theirs', 'is_published': True, 'website_id': cls.env['website'].create({'name': 'B'}).id,
            **hidden})

    def feed_url(self, currency, website=None):
        return (website or self.website)._tiktok_catalog_path(currency)

    def fetch(self, path, status=200, **kwargs):
        response = self.url_open(path, **kwargs)
        self.assertEqual(response.status_code, status, path)
        return response

    def feed(self, currency):
        response = self.fetch(self.feed_url(currency))
        self.assertEqual(response.headers['Content-Type'], 'text/csv; charset=utf-8')
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        self.assertEqual(tuple(rows[0]) if rows else None, FEED_COLUMNS)
        return {row['sku_id']: row for row in rows}, response

    def test_one_feed_per_currency_of_the_website_pricelists(self):
        self.assertEqual(set(self.website._tiktok_catalog_pricelists()), {self.usd.name, self.other.name})
        home, _response = self.feed(self.usd.name)
        abroad, _response = self.feed(self.other.name)
        skus = {str(self.shirt_s.id), str(self.shirt_m.id), str(self.mug.id)}
        self.assertEqual(set(home), skus)
        self.assertEqual(set(abroad), skus)
        self.assertEqual(home[str(self.mug.id)]['price'], '8.00 %s' % self.usd.name)
        self.assertEqual(home[str(self.mug.id)]['sale_price'], '')
        # The other currency: the list price converted, the pricelist's 10 % off as the sale price.
        self.assertEqual(abroad[str(self.mug.id)]['price'], '16.00 %s' % self.other.name)
        self.assertEqual(abroad[str(self.mug.id)]['sale_price'], '14.40 %s' % self.other.name)
        mug = home[str(self.mug.id)]
        self.assertEqual(mug['availability'], 'in stock')
        self.assertEqual(mug['condition'], 'new')
        self.assertEqual(mug['brand'], self.website.company_id.name)
        self.assertEqual(mug['title'], 'Mug')
        self.assertEqual(mug['description'], 'Mug')  # no description: the title, TikTok requires one
        self.assertTrue(mug['link'].startswith(self.website.get_base_url() + '/shop/'), mug['link'])
        self.assertIn('pricelist=%s' % self.home_list.id, mug['link'])
        required = ('sku_id', 'title', 'description', 'availability', 'condition', 'price', 'link', 'brand')
        for row in home.values():
            self.assertTrue(all(row[column] for column in required), row)

    def test_a_pricelist_behind_a_promotion_code_prices_no_feed(self):
        promo = dict(website_id=False, selectable=False, sequence=0, code='SECRET50',
                     item_ids=[(0, 0, {'compute_price': 'percentage', 'percent_price': 50, 'applied_on': '3_global'})])
        self.env['product.pricelist'].create({'name': 'Promo', 'currency_id': self.usd.id, **promo})
        gbp = self.env.ref('base.GBP')
        gbp.active = True
        self.env['product.pricelist'].create({'name': 'Promo GBP', 'currency_id': gbp.id, **promo})
        self.assertIn('Promo', self.website.pricelist_ids.mapped('name'))  # the shop offers it, to code holders
        self.assertEqual(set(self.website._tiktok_catalog_pricelists()), {self.usd.name, self.other.name})
        self.fetch(self.feed_url(gbp.name), status=404)
        home, _response = self.feed(self.usd.name)
        self.assertEqual(home[str(self.mug.id)]['price'], '8.00 %s' % self.usd.name)
        self.assertEqual(home[str(self.mug.id)]['sale_price'], '')

    def test_variants_are_grouped_by_their_template(self):
        home, _response = self.feed(self.usd.name)
        shirt_m = home[str(self.shirt_m.id)]
        self.assertEqual(shirt_m['item_group_id'], str(self.shirt.id))
        self.assertEqual(home[str(self.shirt_s.id)]['item_group_id'], str(self.shirt.id))
        self.assertEqual(home[str(self.mug.id)]['item_group_id'], '')  # one variant: no group
        self.assertIn('attribute_values=', shirt_m['link'])
        self.assertIn('(M)', shirt_m['title'])

    def test_sku_id_is_the_events_content_id_for_each_content_id_setting(self):
        for source, expected in (
            ('product_id', {str(self.shirt_s.id), str(self.shirt_m.id), str(self.mug.id)}),
            ('default_code', {'SKU-S', str(self.shirt_m.id), 'MUG-1'}),
        ):
            with self.subTest(source=source):
                self.set_params(content_id_source=source)
                home, _response = self.feed(self.usd.name)
                self.assertEqual(set(home), expected)
                for product in self.shirt_s | self.shirt_m | self.mug:
                    self.assertIn(self.website._tiktok_content_id(product), home)

    def test_unpublished_archived_unsold_and_other_websites_products_are_left_out(self):
        home, response = self.feed(self.usd.name)
        text = response.content.decode()
        for name in ('Draft', 'Old', 'Kept', 'Theirs'):
            self.assertNotIn(name, text)
        self.mug.is_published = False
        home, _response = self.feed(self.usd.name)
        self.assertNotIn(str(self.mug.id), home)

    def test_commas_quotes_and_line_breaks_stay_inside_their_field(self):
        home, response = self.feed(self.usd.name)
        shirt_s = home[str(self.shirt_s.id)]
        self.assertEqual(shirt_s['title'], 'Shirt, "Classic" fit (S)')
        self.assertEqual(shirt_s['description'], 'Soft, "organic" cotton')
        self.assertIn('"Shirt, ""Classic"" fit (S)"', response.content.decode())

    def test_the_feed_carries_no_token_secret_or_internal_data(self):
        _home, response = self.feed(self.usd.name)
        text = response.content.decode()
        for secret in (WEBSITE_TOKEN, GLOBAL_TOKEN, self.env['ir.config_parameter'].sudo().get_param('database.secret'),
                       '%.2f' % COST, str(COST)):
            self.assertNotIn(secret, text)

    def test_every_wrong_part_of_the_url_is_the_same_404(self):
        good = self.feed_url(self.usd.name)
        secret = self.website._tiktok_catalog_secret()
        for path in (
            good.replace(secret, secret[:-1] + ('0' if secret[-1] != '0' else '1')),
            good.replace(secret, 'x'),
            self.feed_url('GBP'),  # a currency the website does not sell in
            self.feed_url('usd'.upper() + 'X'),
            good.replace('/%s/' % self.website.id, '/999999/'),
        ):
            self.fetch(path, status=404)
        # The secret of one website opens no other's feed.
        second = self.env['website'].create({'name': 'Second shop'})
        self.fetch(good.replace('/%s/' % self.website.id, '/%s/' % second.id), status=404)

    def test_rotation_closes_the_old_url(self):
        old = self.feed_url(self.usd.name)
        self.fetch(old)
        self.website.action_tiktok_rotate_catalog_secret()
        new = self.feed_url(self.usd.name)
        self.assertNotEqual(old, new)
        self.fetch(old, status=404)
        self.fetch(new)

    def test_only_administrators_read_the_urls_or_rotate_the_secret(self):
        old = self.feed_url(self.usd.name)
        designer = new_test_user(self.env, 'tt_feed_designer', groups='base.group_user,website.group_website_designer')
        website = self.website.with_user(designer)
        with self.assertRaises(AccessError):
            website.action_tiktok_rotate_catalog_secret()
        with self.assertRaises(AccessError):
            website.read(['tiktok_catalog_urls'])
        self.assertEqual(self.feed_url(self.usd.name), old)
        self.assertIn(old, self.website.tiktok_catalog_urls)

    def test_a_fetch_with_the_current_etag_gets_304_and_a_change_a_new_feed(self):
        _home, response = self.feed(self.usd.name)
        etag = response.headers['ETag']
        self.fetch(self.feed_url(self.usd.name), status=304, headers={'If-None-Match': etag})
        self.mug.name = 'Mug renamed'
        # As a later transaction stamps it (a test runs in one transaction, one timestamp).
        self.env.flush_all()
        self.env.cr.execute("UPDATE product_template SET write_date = write_date + interval '1 second' WHERE id = %s",
                            [self.mug.product_tmpl_id.id])
        home, response = self.feed(self.usd.name)
        self.assertNotEqual(response.headers['ETag'], etag)
        self.assertEqual(home[str(self.mug.id)]['title'], 'Mug renamed')

    def test_product_pages_name_a_row_of_the_feed(self):
        """A product page's ViewContent names the feed's sku_id, or its
        item_group_id as a product group while no variant is chosen."""
        self.set_params(content_id_source='default_code')
        home, _response = self.feed(self.usd.name)
        groups = {row['item_group_id'] for row in home.values()} - {''}

        def page_product(url):
            response = self.fetch(url)
            return config_blob(response.text)['product']

        shirt = page_product(self.shirt.website_url)
        self.assertEqual(shirt['content_type'], 'product_group')
        self.assertIn(shirt['content_id'], groups)
        self.assertIn(shirt['variant_id'], home)  # the variant shown, not reported again by the browser

        chosen = page_product(self.shirt_m.website_url)  # ?attribute_values=...: a variant chosen
        self.assertNotIn('content_type', chosen)
        self.assertNotIn('variant_id', chosen)
        self.assertEqual(chosen['content_id'], str(self.shirt_m.id))
        self.assertIn(chosen['content_id'], home)

        mug = page_product(self.mug.website_url)  # one variant: a product, never a group
        self.assertNotIn('content_type', mug)
        self.assertEqual(mug['content_id'], 'MUG-1')
        self.assertIn(mug['content_id'], home)


@tagged('post_install', '-at_install')
class TestCatalogFeedWriters(TestCatalogFeed):
    """Who writes the feed: the cron for a large catalog, over as many runs as
    it takes; a request only a small one; the URL serves what was written."""

    # Odoo runs only the test methods a test class defines itself, unless told.
    allow_inherited_tests_method = False

    def setUp(self):
        super().setUp()
        self.Website = type(self.env['website'])
        self.folder = self.website._tiktok_catalog_folder()
        self.clear_feeds()
        self.addCleanup(self.clear_feeds)

    def clear_feeds(self):
        for name in os.listdir(self.folder):
            if name.startswith('%s-' % self.website.id):
                os.remove(os.path.join(self.folder, name))

    def large_catalog(self):
        """Every catalog counts as large: no request may write it."""
        return patch.object(website_catalog, 'FEED_INLINE_PRODUCTS', 0)

    def no_request_writes(self):
        return patch.object(self.Website, '_tiktok_write_catalog', side_effect=AssertionError('written by a request'))

    def run_cron(self, websites=None):
        progress = []
        with patch.object(type(self.env['ir.cron']), '_commit_progress',
                          lambda _cron, processed=0, **kw: progress.append((processed, kw)) or float('inf')):
            (self.env['website'] if websites is None else websites)._cron_tiktok_write_catalogs()
        return progress

    def feed_text(self, currency):
        response = self.fetch(self.feed_url(currency))
        return response.content.decode(), response

    def fingerprints(self, currency):
        return {feed_file_fingerprint(name, self.website.id, currency) for name in os.listdir(self.folder)} - {None}

    def pending_triggers(self):
        cron = self.env.ref(website_catalog.FEED_CRON)
        return self.env['ir.cron.trigger'].search_count([('cron_id', '=', cron.id)])

    def test_a_large_catalog_never_written_answers_503_and_wakes_the_cron(self):
        self.env['ir.cron.trigger'].search([]).unlink()
        with self.large_catalog():
            response = self.fetch(self.feed_url(self.usd.name), status=503)
        self.assertEqual(response.headers['Retry-After'], str(website_catalog.FEED_RETRY_AFTER_SECONDS))
        self.assertEqual(response.headers['Content-Type'], 'text/plain; charset=utf-8')
        self.assertIn('being prepared', response.text)
        self.assertEqual(self.pending_triggers(), 1)
        with self.large_catalog():
            self.fetch(self.feed_url(self.usd.name), status=503)
        self.assertEqual(self.pending_triggers(), 1)  # one wake-up is enough
        self.assertFalse(self.fingerprints(self.usd.name))  # the request wrote nothing

    def test_the_cron_writes_the_feed_and_the_url_serves_it_without_writing(self):
        inline, _response = self.feed_text(self.usd.name)  # a small catalog: written by the request
        self.clear_feeds()
        with self.large_catalog():
            self.fetch(self.feed_url(self.usd.name), status=503)
            progress = self.run_cron()
            self.assertEqual(progress[-1][1], {'remaining': 0})
            with self.no_request_writes():
                written, response = self.feed_text(self.usd.name)
                abroad, _response = self.feed_text(self.other.name)
        self.assertEqual(written, inline)  # the cron's bytes are the request's
        self.assertIn('14.40 %s' % self.other.name, abroad)
        etag = response.headers['ETag']
        self.fetch(self.feed_url(self.usd.name), status=304, headers={'If-None-Match': etag})

        # What the feed shows changed: the written feed is served (the cron woken), then the new one.
        self.env['ir.cron.trigger'].search([]).unlink()
        self.mug.name = 'Mug renamed'
        self.env.flush_all()
        self.env.cr.execute("UPDATE product_template SET write_date = write_date + interval '1 second' WHERE id = %s",
                            [self.mug.product_tmpl_id.id])
        with self.large_catalog():
            with self.no_request_writes():
                stale, response = self.feed_text(self.usd.name)
            self.assertEqual((stale, response.headers['ETag']), (written, etag))
            self.assertEqual(self.pending_triggers(), 1)
            self.run_cron()
            fresh, response = self.feed_text(self.usd.name)
        self.assertNotEqual(response.headers['ETag'], etag)
        self.assertIn('Mug renamed', fresh)
        self.assertEqual(len(self.fingerprints(self.usd.name)), 1)  # the older feed removed

    def test_a_feed_removed_between_choosing_and_opening_it_is_chosen_again(self):
        expected, _response = self.feed_text(self.usd.name)
        choose = type(self.env['website'])._tiktok_catalog_file
        chosen = []

        def removed_once(website, pricelist, currency_name):
            path, etag = choose(website, pricelist, currency_name)
            if not chosen:  # as if a newer feed had been published, and this one removed, meanwhile
                path = os.path.join(os.path.dirname(path), 'removed-' + os.path.basename(path))
            chosen.append(path)
            return path, etag

        with patch.object(type(self.env['website']), '_tiktok_catalog_file', removed_once):
            served, _response = self.feed_text(self.usd.name)
        self.assertEqual((served, len(chosen)), (expected, 2))

    def test_a_rotated_secret_closes_a_feed_written_by_the_cron(self):
        with self.large_catalog():
            self.run_cron()
            old = self.feed_url(self.usd.name)
            self.fetch(old)
            self.website.action_tiktok_rotate_catalog_secret()
            self.fetch(old, status=404)
            self.fetch(self.feed_url(self.usd.name))

    def step(self, deadline):
        fingerprint, _count = self.website._tiktok_catalog_version(self.home_list)
        return self.website._tiktok_catalog_write_step(self.home_list, self.usd.name, fingerprint, deadline)

    def test_a_run_cut_short_resumes_from_its_last_complete_batch(self):
        inline, _response = self.feed_text(self.usd.name)
        self.clear_feeds()
        with patch.object(website_catalog, 'FEED_BATCH_SIZE', 1):
            written, remaining, complete = self.step(deadline=0)  # a run out of time: one batch
            self.assertEqual((written, remaining, complete), (1, 2, False))
            [part] = [name for name in os.listdir(self.folder) if name.endswith(PART_SUFFIX)]
            # A run killed in the middle of its next batch left half a row behind.
            with open(os.path.join(self.folder, part), 'a', encoding='utf-8') as file:
                file.write('999,Half a ro')
            self.assertEqual(self.step(deadline=0), (1, 1, False))
            self.assertEqual(self.step(deadline=None), (1, 0, True))
        prefix = '%s-' % self.website.id
        self.assertFalse([name for name in os.listdir(self.folder) if name.startswith(prefix)
                          and not name.endswith('.csv')])  # neither part nor progress left
        with self.large_catalog():
            resumed, _response = self.feed_text(self.usd.name)
        self.assertEqual(resumed, inline)

    def test_a_progress_left_without_its_part_starts_the_feed_again(self):
        inline, _response = self.feed_text(self.usd.name)
        self.clear_feeds()
        fingerprint, _count = self.website._tiktok_catalog_version(self.home_list)
        part = os.path.join(self.folder, '%s-%s-%s.csv%s' % (self.website.id, self.usd.name, fingerprint, PART_SUFFIX))
        # A run stopped between its rename and removing the progress, or a part removed by hand.
        with open(part + PROGRESS_SUFFIX, 'w', encoding='utf-8') as file:
            json.dump({'after_id': self.mug.id, 'size': 10 ** 6}, file)
        open(part, 'wb').close()
        self.assertEqual(self.step(deadline=None), (3, 0, True))
        with self.large_catalog():
            again, _response = self.feed_text(self.usd.name)
        self.assertEqual(again, inline)

    def test_a_second_writer_leaves_a_feed_being_written_alone(self):
        with patch.object(website_catalog, 'FEED_BATCH_SIZE', 1):
            self.step(deadline=0)
            [part] = [os.path.join(self.folder, name) for name in os.listdir(self.folder) if name.endswith(PART_SUFFIX)]
            before = open(part, 'rb').read()
            with open(part, 'ab') as holder:
                fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the first writer holds it
                self.assertEqual(self.step(deadline=None), (0, 0, False))
            self.assertEqual(open(part, 'rb').read(), before)
            self.assertEqual(self.step(deadline=None), (2, 0, True))

    def test_a_run_out_of_time_leaves_the_rest_to_the_next_run_at_once(self):
        cron = self.env.ref(website_catalog.FEED_CRON)
        self.env['ir.cron.trigger'].search([]).unlink()
        # Odoo calls a job that reported work left again within the same run:
        # the run's time counts from the job's start, here long spent.
        spent = self.env['website'].with_context(cron_id=cron.id, cron_end_time=time.monotonic() - 3600)
        with self.large_catalog():
            self.run_cron(spent)
            prefix = '%s-' % self.website.id
            self.assertFalse([name for name in os.listdir(self.folder) if name.startswith(prefix)])
            self.assertEqual(self.pending_triggers(), 1)
            self.run_cron(self.env['website'].with_context(cron_id=cron.id, cron_end_time=time.monotonic() + 10))
            self.fetch(self.feed_url(self.usd.name))

    def test_the_cron_writes_at_most_half_of_odoo_cron_time_limit(self):
        self.assertEqual(cron_run_seconds(-1, 120), 60)  # Odoo's defaults: the request limit
        self.assertEqual(cron_run_seconds(40, 120), 20)
        self.assertEqual(cron_run_seconds(0, 120), 60)  # no limit
        self.assertEqual(cron_run_seconds(-1, 0), 60)

    def test_pricelist_rules_read_per_batch_price_as_rules_read_per_product(self):
        category = self.env['product.category'].create({'name': 'Tops'})
        child = self.env['product.category'].create({'name': 'Shirts', 'parent_id': category.id})
        self.shirt.categ_id = child
        yesterday = fields.Datetime.now() - timedelta(days=1)
        self.home_list.item_ids = [
            (0, 0, {'applied_on': '2_product_category', 'categ_id': category.id, 'compute_price': 'percentage',
                    'percent_price': 20}),
            (0, 0, {'applied_on': '0_product_variant', 'product_id': self.shirt_m.id, 'compute_price': 'fixed',
                    'fixed_price': 11}),
            (0, 0, {'applied_on': '1_product', 'product_tmpl_id': self.mug.product_tmpl_id.id,
                    'compute_price': 'fixed', 'fixed_price': 3, 'date_end': yesterday}),  # over
            (0, 0, {'applied_on': '1_product', 'product_tmpl_id': self.mug.product_tmpl_id.id,
                    'compute_price': 'fixed', 'fixed_price': 4, 'date_start': yesterday + timedelta(days=3)}),
            (0, 0, {'applied_on': '1_product', 'product_tmpl_id': self.mug.product_tmpl_id.id,
                    'compute_price': 'fixed', 'fixed_price': 6, 'min_quantity': 5}),
            (0, 0, {'applied_on': '3_global', 'compute_price': 'percentage', 'percent_price': 5,
                    'date_start': yesterday}),
        ]
        self.mug.image_1920 = PIXEL
        products = self.shirt_s | self.shirt_m | self.mug
        with self.website._tiktok_feed_env(self.home_list) as website:
            batched = list(website._tiktok_catalog_rows(website.env['product.product'].browse(products.ids),
                                                        self.home_list))
            website.env.invalidate_all()
            with patch.object(type(self.env['product.pricelist']), '_tiktok_batch_rules',
                              lambda _pricelist, _products: contextlib.nullcontext()):
                one_by_one = list(website._tiktok_catalog_rows(website.env['product.product'].browse(products.ids),
                                                               self.home_list))
        self.assertEqual(batched, one_by_one)
        prices = {row['sku_id']: (row['price'], row['sale_price']) for row in batched}
        usd = ' %s' % self.usd.name
        self.assertEqual(prices[str(self.shirt_m.id)], ('11.00' + usd, ''))  # the variant's own rule
        self.assertEqual(prices[str(self.shirt_s.id)], ('20.00' + usd, '16.00' + usd))  # its category's parent's
        self.assertEqual(prices[str(self.mug.id)], ('8.00' + usd, '7.60' + usd))  # only the rule in force
        images = {row['sku_id']: row['image_link'] for row in batched}
        self.assertTrue(images[str(self.mug.id)].endswith('/web/image/product.product/%s/image_1024' % self.mug.id))
        self.assertEqual(images[str(self.shirt_s.id)], '')
