import csv
import io
import os
import shutil
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import config

from odoo.addons.website_tiktok_events.models import tiktok_content_daily
from odoo.addons.website_tiktok_events.tools.catalog_match import MATCH_ALERT_MIN_EVENTS, REASONS
from odoo.addons.website_tiktok_events.tools.report_contract import MAX_CONTENTS
from .common import WEBSITE_TOKEN
from .control_room_common import ControlRoomCase, a_report


def a_content(content_id, event='ViewContent', count=1, content_type='product', website_id=1):
    return {'website_id': website_id, 'event': event, 'content_type': content_type, 'content_id': content_id,
            'count': count}


@tagged('post_install', '-at_install')
class TestCatalogMatch(HttpCase, ControlRoomCase):
    """The control room's catalog match: the content ids the sidecar reports it
    delivered, against the sku_ids of the website's own feed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.website.tiktok_access_token = WEBSITE_TOKEN
        cls.set_params(content_id_source='default_code')
        # Only this test's products in the feed.
        cls.env['product.template'].search([('is_published', '=', True)]).is_published = False
        size = cls.env['product.attribute'].create({
            'name': 'Size', 'value_ids': [(0, 0, {'name': 'S'}), (0, 0, {'name': 'M'})]})
        cls.shirt = cls.env['product.template'].create({
            'name': 'Shirt', 'list_price': 20.0, 'is_published': True,
            'attribute_line_ids': [(0, 0, {'attribute_id': size.id, 'value_ids': [(6, 0, size.value_ids.ids)]})],
        })
        cls.shirt_s, cls.shirt_m = cls.shirt.product_variant_ids
        cls.shirt_s.default_code = 'SHIRT-S'
        cls.mug = cls.env['product.product'].create({
            'name': 'Mug', 'list_price': 8.0, 'is_published': True, 'default_code': 'MUG-1'})
        cls.lamp = cls.env['product.product'].create({
            'name': 'Lamp', 'list_price': 30.0, 'is_published': True, 'default_code': 'LAMP-1'})

    def setUp(self):
        super().setUp()
        # Every write of a test transaction has the same write_date: a feed file written by an
        # earlier test would look current to this one.
        shutil.rmtree(os.path.join(config.filestore(self.env.cr.dbname), 'tiktok_catalog'), ignore_errors=True)

    def feed_skus(self):
        """The sku_ids and item_group_ids of the website's feed in its first currency, as TikTok fetches it."""
        currency = next(iter(self.website._tiktok_catalog_pricelists()))
        response = self.url_open(self.website._tiktok_catalog_path(currency))
        self.assertEqual(response.status_code, 200)
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        return {row['sku_id'] for row in rows}, {row['item_group_id'] for row in rows} - {''}

    def match(self, website=None):
        data = self.Report.with_user(self.admin).tiktok_dashboard_data(days=7)
        [entry] = [site for site in data['catalog_match']['websites']
                   if site['website_id'] == (website or self.website).id]
        return entry

    def unmatched(self):
        return {entry['content_id']: entry for entry in self.match()['unmatched']}

    def test_a_walk_whose_ids_are_all_in_the_feed_matches_100_percent(self):
        skus, groups = self.feed_skus()
        self.assertEqual(skus, {'SHIRT-S', str(self.shirt_m.id), 'MUG-1', 'LAMP-1'})
        self.assertEqual(groups, {str(self.shirt.id)})
        self.report(contents=[
            a_content('MUG-1', 'ViewContent', 3), a_content('MUG-1', 'AddToCart'), a_content('MUG-1', 'Purchase'),
            a_content(str(self.shirt.id), 'ViewContent', 2, 'product_group'), a_content('SHIRT-S', 'AddToCart'),
            a_content(str(self.shirt_m.id), 'CompletePayment'),
        ])
        match = self.match()
        self.assertEqual((match['rate'], match['events'], match['matched'], match['unmatched']), (100.0, 9, 9, []))

    def test_a_changed_internal_reference_names_the_product_that_no_longer_matches(self):
        self.report(contents=[a_content('MUG-1', 'ViewContent', 9)])
        self.assertEqual(self.match()['rate'], 100.0)
        self.mug.default_code = 'MUG-2'
        self.assertNotIn('MUG-1', self.feed_skus()[0])
        self.report(contents=[a_content('MUG-1', 'AddToCart', 1)])
        match = self.match()
        self.assertEqual((match['rate'], match['events'], match['unmatched_ids']), (0.0, 10, 1))
        [entry] = match['unmatched']
        self.assertEqual(
            {key: entry[key]
             for key in ('content_id', 'count', 'events', 'reason', 'product_id', 'current_content_id')},
            {'content_id': 'MUG-1', 'count': 10, 'events': {'AddToCart': 1, 'ViewContent': 9},
             'reason': 'reference_changed', 'product_id': self.mug.id, 'current_content_id': 'MUG-2'})
        self.assertIn('Mug', entry['product_name'])
        self.assertIn('internal reference changed', entry['reason_label'])

    def test_each_product_left_out_of_the_feed_is_named_with_why(self):
        draft = self.env['product.product'].create({'name': 'Draft', 'default_code': 'DRAFT', 'is_published': False})
        kept = self.env['product.product'].create({'name': 'Kept', 'default_code': 'KEPT', 'is_published': True,
                                                   'sale_ok': False})
        theirs = self.env['product.product'].create({
            'name': 'Theirs', 'default_code': 'THEIRS', 'is_published': True,
            'website_id': self.env['website'].create({'name': 'B'}).id})
        self.lamp.action_archive()
        self.report(contents=[a_content(code) for code in ('DRAFT', 'KEPT', 'THEIRS', 'LAMP-1', 'NOPE', 'MUG-1')]
                    + [a_content(str(self.mug.id)),
                       a_content(str(self.mug.product_tmpl_id.id), content_type='product_group')])
        unmatched = self.unmatched()
        self.assertEqual({content_id: entry['reason'] for content_id, entry in unmatched.items()}, {
            'DRAFT': 'unpublished', 'KEPT': 'not_sold', 'THEIRS': 'other_website', 'LAMP-1': 'archived',
            'NOPE': 'unknown', str(self.mug.id): 'content_id_setting',
            str(self.mug.product_tmpl_id.id): 'single_variant',
        })
        self.assertEqual({unmatched[code]['product_id'] for code in ('DRAFT', 'KEPT', 'THEIRS', 'LAMP-1')},
                         {draft.id, kept.id, theirs.id, self.lamp.id})
        self.assertEqual(unmatched[str(self.mug.id)]['current_content_id'], 'MUG-1')
        self.assertEqual(self.match()['rate'], 12.5)  # 1 of 8

    def test_odoo_events_are_counted_apart_not_as_products_missing_from_the_feed(self):
        self.report(contents=[a_content('MUG-1'), a_content('event-9', count=3), a_content('event-x')])
        match = self.match()
        self.assertEqual((match['rate'], match['events'], match['event_pages']), (50.0, 2, 3))
        self.assertEqual([entry['content_id'] for entry in match['unmatched']], ['event-x'])

    def test_the_rate_counts_events_and_says_100_only_when_all_match(self):
        self.report(contents=[a_content('MUG-1', count=999), a_content('GONE', count=1)])
        self.assertEqual(self.match()['rate'], 99.9)
        self.assertEqual(self.match()['events'], 1000)

    def test_every_reason_has_words(self):
        def verdicts(website, ids):
            return {content_id: {'reason': reason} for content_id, reason in zip(sorted(ids), REASONS)}

        with patch.object(type(self.env['website']), '_tiktok_product_verdicts', verdicts):
            self.report(contents=[a_content('ID-%02d' % index) for index in range(len(REASONS))])
            labels = {entry['reason']: entry['reason_label'] for entry in self.match()['unmatched']}
        self.assertEqual(set(labels), set(REASONS))
        self.assertTrue(all(labels.values()))

    def test_a_repeated_report_counts_its_contents_once(self):
        report = a_report(contents=[a_content('MUG-1', count=4)], contents_unrecorded=2)
        self.Report.tiktok_report(report)
        self.Report.tiktok_report(report)
        self.assertEqual(self.match()['events'], 4)
        row = self.env['tiktok.sidecar.report'].search([('replica', '=', report['replica'])])
        self.assertEqual(row.contents_unrecorded, 2)
        data = self.Report.with_user(self.admin).tiktok_dashboard_data(days=7)
        self.assertEqual(data['catalog_match']['not_counted'], 2)

    def test_ids_a_catalog_cannot_hold_or_that_look_like_contact_data_are_counted_not_kept(self):
        self.report(contents=[a_content('someone@example.com'), a_content('+33 6 12 34 56 78'),
                              a_content('x' * 129), a_content('bad\nid'), a_content('half \ud800'),
                              a_content('MUG-1')])
        kept = self.env['tiktok.content.daily'].search([('website_id', '=', self.website.id)])
        self.assertEqual(set(kept.mapped('content_id')), {False, 'MUG-1'})
        self.assertEqual(sum(kept.filtered(lambda row: not row.content_id).mapped('count')), 5)
        match = self.match()
        self.assertEqual((match['rate'], match['events'], match['unrecorded']), (100.0, 1, 5))

    def test_a_flood_of_distinct_ids_is_bounded_per_website_and_day(self):
        with patch.object(tiktok_content_daily, 'MAX_CONTENT_IDS_PER_DAY', 3):
            self.report(contents=[a_content('A'), a_content('B')])
            self.report(contents=[a_content('B', count=5), a_content('C'), a_content('D'), a_content('E', count=2)])
        rows = self.env['tiktok.content.daily'].search([('website_id', '=', self.website.id)])
        self.assertEqual({row.content_id: row.count for row in rows}, {'A': 1, 'B': 6, 'C': 1, False: 3})

    def test_the_report_names_what_is_wrong_in_contents(self):
        self.assertRefused(a_report(contents=[a_content('MUG-1', event='PageView')]), 'contents[0].event')
        self.assertRefused(a_report(contents=[a_content('MUG-1', content_type='sku')]), 'contents[0].content_type')
        self.assertRefused(a_report(contents=[a_content(12)]), 'contents[0].content_id must be text')
        self.assertRefused(a_report(contents=[a_content('MUG-1', count=-1)]), 'contents[0].count')
        self.assertRefused(a_report(contents=[a_content('MUG-1')] * (MAX_CONTENTS + 1)), 'contents has')
        self.assertRefused(a_report(contents_unrecorded='many'), 'contents_unrecorded')
        self.assertFalse(self.env['tiktok.content.daily'].search([]))

    def test_only_administrators_read_what_was_sent(self):
        self.report(contents=[a_content('MUG-1')])
        self.mug.default_code = 'MUG-9'
        for user in (new_test_user(self.env, 'tt_match_sales', groups='sales_team.group_sale_manager'),
                     self.sidecar):
            for model in ('tiktok.content.daily', 'tiktok.content.alias'):
                with self.subTest(user=user.login, model=model), self.assertRaises(AccessError):
                    self.env[model].with_user(user).search([])
            with self.assertRaises(AccessError):
                self.env['tiktok.content.daily'].with_user(user).create(
                    {'day': '2026-01-01', 'website_id': self.website.id, 'event': 'ViewContent',
                     'content_type': 'product', 'content_id': 'FORGED', 'count': 10 ** 6})

    def test_the_cron_opens_one_alert_below_the_goal_and_closes_it_when_fixed(self):
        Alert = self.env['tiktok.alert']
        self.report(contents=[a_content('MUG-1', count=MATCH_ALERT_MIN_EVENTS)])
        Alert._cron_tiktok_sync_alerts()
        self.assertFalse(Alert.search([('kind', '=', 'match_rate_low')]))
        self.mug.default_code = 'MUG-2'  # every event so far sent the former reference
        self.report(contents=[a_content('MUG-2')])
        Alert._cron_tiktok_sync_alerts()
        alert = Alert.search([('kind', '=', 'match_rate_low'), ('state', '=', 'open')])
        self.assertEqual(len(alert), 1)
        self.assertIn('4.7 %', alert.name)
        # A report does not read the catalog, and leaves the alert as it is.
        self.report(contents=[a_content('MUG-2', count=1000)])
        self.assertEqual(alert.state, 'open')
        Alert._cron_tiktok_sync_alerts()
        self.assertEqual(alert.state, 'closed')
        self.assertEqual(len(Alert.search([('kind', '=', 'match_rate_low')])), 1)
