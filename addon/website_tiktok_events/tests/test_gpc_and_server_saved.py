import json

from odoo.tests import tagged

from odoo.addons.website_sale.tests.common import MockRequest
from odoo.addons.website_tiktok_events.tools.server_saved import connection_methods, match_estimate
from .common import TikTokCase
from .control_room_common import ControlRoomCase, a_counter


@tagged('post_install', '-at_install')
class TestServerSaved(ControlRoomCase):
    """What server-side tracking saved: the report's connection methods and match keys per event."""

    def saved(self):
        data = self.env['tiktok.sidecar.report'].with_user(self.admin).tiktok_dashboard_data(days=7)
        return {row['event']: row for row in data['server_saved']['rows']}, data['server_saved']

    def test_the_report_counts_reach_the_control_room_per_event(self):
        self.report(counters=[
            a_counter('Search', accepted=10, delivered=8, pixel_loaded=5, pixel_blocked=3, pixel_withheld=1,
                      with_email=4, with_ip=8, with_user_agent=8),
            a_counter('Pageview', accepted=4, delivered=4),
        ])
        self.report(counters=[a_counter('Search', accepted=2, pixel_blocked=2)])
        rows, totals = self.saved()
        self.assertEqual(
            {key: rows['Search'][key]
             for key in ('browser_and_server', 'server_only_blocked', 'server_only_withheld', 'not_said')},
            {'browser_and_server': 5, 'server_only_blocked': 5, 'server_only_withheld': 1, 'not_said': 1})
        # the canonical key, said by nobody: the head code's PageView leaves before events.js answers
        self.assertEqual(rows['PageView']['not_said'], 4)
        self.assertEqual(totals['server_only_blocked'], 5)
        self.assertEqual(self.daily('Search').with_email, 4)
        # ours: (e-mail 3 × 4/8 + ip 1 × 8/8 + user agent 1 × 8/8) / 13 weights × 10
        self.assertEqual(rows['Search']['match_estimate'], 2.7)

    def test_a_report_of_an_older_sidecar_counts_as_not_said(self):
        self.report(counters=[a_counter('AddToCart', accepted=3, delivered=3)])
        rows, totals = self.saved()
        self.assertEqual(rows['AddToCart']['not_said'], 3)
        self.assertEqual((rows['AddToCart']['server_only_blocked'], totals['server_only_blocked']), (0, 0))
        self.assertEqual(rows['AddToCart']['match_estimate'], 0.0)

    def test_a_count_that_is_not_one_is_refused_with_its_name(self):
        self.assertRefused(a_report_with(a_counter('Search', pixel_blocked=-1)), 'counters[0].pixel_blocked')
        self.assertRefused(a_report_with(a_counter('Search', with_email='3')), 'counters[0].with_email')

    def test_the_estimate_is_bounded_and_says_nothing_without_deliveries(self):
        counts = dict.fromkeys(('accepted', 'delivered', 'pixel_loaded', 'pixel_blocked', 'pixel_withheld'), 0)
        counts.update({'with_' + key: 0
                       for key in ('email', 'phone', 'external_id', 'ttclid', 'ttp', 'ip', 'user_agent')})
        self.assertIsNone(match_estimate(counts))
        every = {**counts, 'delivered': 2, **{key: 5 for key in counts if key.startswith('with_')}}
        self.assertEqual(match_estimate(every), 10.0)
        self.assertEqual(connection_methods({**counts, 'accepted': 1, 'pixel_blocked': 3})['not_said'], 0)


def a_report_with(counter):
    from .control_room_common import a_report
    return a_report(counters=[counter])


@tagged('post_install', '-at_install')
class TestGlobalPrivacyControl(TikTokCase):
    """The per-website policy, on the page, for the sidecar, and on the order a checkout records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_params(purchase_without_payment='True')
        cls.desk = cls.env['product.product'].create({'name': 'GPC Desk', 'list_price': 100.0})

    def page_config(self):
        page = self.website._tiktok_page_config(None, None, None, None, None)
        return json.loads(str(page['config_json']))

    def test_limited_data_use_by_default_and_per_website(self):
        self.assertEqual(self.website._tiktok_resolved_settings()['gpc'], 'limited_data_use')
        self.assertEqual(self.website._tiktok_sidecar_entry()['gpc'], 'limited_data_use')
        self.assertEqual(self.page_config()['gpc'], 'limited_data_use')
        self.website.tiktok_gpc = 'refuse'
        self.assertEqual(self.website._tiktok_sidecar_entry()['gpc'], 'refuse')
        self.assertEqual(self.page_config()['gpc'], 'refuse')
        # ignored: the page says nothing of it
        self.website.tiktok_gpc = 'ignore'
        self.assertNotIn('gpc', self.page_config())
        self.assertEqual(self.website._tiktok_sidecar_entry()['gpc'], 'ignore')

    def checkout(self, headers):
        """A cart checked out by a visitor whose request carries `headers`; its claimed Purchase."""
        from ..controllers.main import store_buyer_context
        cart = self.env['sale.order'].create({
            'partner_id': self.env.ref('base.res_partner_2').id, 'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': self.desk.id, 'product_uom_qty': 1})],
        })
        guest = self.env(user=self.env.ref('base.public_user'))
        with MockRequest(guest, website=self.website.with_env(guest), sale_order_id=cart.id) as request:
            request.httprequest.remote_addr = '203.0.113.5'
            request.httprequest.headers = {'User-Agent': 'TikTokTest/1.0', **headers}
            request.httprequest.cookies = {}
            store_buyer_context(cart)
        cart.action_confirm()
        claimed = self.env['sale.order'].tiktok_claim_purchases(limit=50, lease_seconds=60, claimer='gpc:1')
        return cart, next((entry for entry in claimed if entry['order_id'] == cart.id), None)

    def test_limited_data_use_the_checkout_records_the_signal_and_the_purchase_carries_it(self):
        cart, claimed = self.checkout({'Sec-GPC': '1'})
        self.assertTrue(cart.sudo().tiktok_gpc)
        self.assertEqual(cart.sudo().tiktok_consent, 'not_required')
        self.assertIs(claimed['gpc'], True)
        plain, claimed_plain = self.checkout({})
        self.assertFalse(plain.sudo().tiktok_gpc)
        self.assertNotIn('gpc', claimed_plain)

    def test_treat_as_refused_is_a_refusal_of_optional_cookies(self):
        self.website.tiktok_gpc = 'refuse'
        cart, claimed = self.checkout({'Sec-GPC': '1'})
        self.assertEqual(cart.sudo().tiktok_consent, 'denied')
        self.assertFalse(cart.sudo().tiktok_client_ip)
        self.assertIsNone(claimed)
        self.assertEqual(cart.tiktok_purchase_state, 'skipped')
        # a visitor without the signal buys as before
        _plain, claimed_plain = self.checkout({'Sec-GPC': '0'})
        self.assertIsNotNone(claimed_plain)

    def test_ignore_changes_nothing_but_the_signal_is_kept(self):
        self.website.tiktok_gpc = 'ignore'
        cart, claimed = self.checkout({'Sec-GPC': '1'})
        self.assertEqual(cart.sudo().tiktok_consent, 'not_required')
        self.assertIsNotNone(claimed)

    def test_nobody_but_the_checkout_writes_the_signal(self):
        from odoo.exceptions import AccessError
        from odoo.tests import new_test_user
        salesman = new_test_user(self.env, 'tt_gpc_salesman', groups='sales_team.group_sale_salesman_all_leads')
        cart, _claimed = self.checkout({'Sec-GPC': '1'})
        with self.assertRaises(AccessError):
            cart.with_user(salesman).write({'tiktok_gpc': False})
        self.assertTrue(cart.sudo().tiktok_gpc)
