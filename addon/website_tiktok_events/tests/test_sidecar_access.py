import json
from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, get_db_name, mute_logger, new_test_user, tagged

from .common import GLOBAL_PIXEL, GLOBAL_TOKEN, SIDECAR_GROUPS, WEBSITE_TOKEN, TikTokCase

SIDECAR_KEYS = {
    'website_id', 'name', 'enabled', 'pixel_id', 'access_token', 'domains', 'event_names',
    'consent_required', 'purchase_without_payment', 'debug', 'match_keys', 'limited_data_use', 'gpc',
}


@tagged('post_install', '-at_install')
class TestSidecarSettingsAccess(TikTokCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_users('access')
        cls.portal_user = new_test_user(cls.env, 'tt_portal', groups='base.group_portal')
        cls.public_user = cls.env.ref('base.public_user')
        cls.admin_user = cls.env.ref('base.user_admin')

    def test_public_portal_and_internal_users_are_refused(self):
        for user in (self.public_user, self.portal_user, self.internal_user):
            with self.assertRaises(AccessError, msg=user.login):
                self.env['website'].with_user(user).tiktok_sidecar_settings()

    def test_sidecar_user_gets_one_entry_per_website(self):
        self.website.write({'domain': 'https://shop.example', 'cookies_bar': True,
                            'tiktok_test_event_code': 'TEST123'})
        second = self.env['website'].create({'name': 'Second shop', 'tiktok_access_token': WEBSITE_TOKEN,
                                             'tiktok_purchase_event_name': 'CompletePayment'})
        entries = self.env['website'].with_user(self.sidecar_user).tiktok_sidecar_settings()
        self.assertEqual(len(entries), self.env['website'].search_count([]))
        by_id = {entry['website_id']: entry for entry in entries}
        first = by_id[self.website.id]
        self.assertEqual(set(first), SIDECAR_KEYS | {'test_event_code'})
        self.assertEqual(first['pixel_id'], GLOBAL_PIXEL)
        self.assertEqual(first['access_token'], GLOBAL_TOKEN)
        self.assertEqual(first['test_event_code'], 'TEST123')
        self.assertEqual(first['domains'], ['https://shop.example'])
        self.assertTrue(first['consent_required'])
        self.assertTrue(first['enabled'])
        self.assertEqual(set(by_id[second.id]), SIDECAR_KEYS)  # no test code: key omitted
        self.assertEqual(by_id[second.id]['access_token'], WEBSITE_TOKEN)
        # Its own Purchase name; SubmitForm as the global default (nothing stored: TikTok's current name).
        self.assertEqual(by_id[second.id]['event_names'], {'Purchase': 'CompletePayment', 'SubmitForm': 'Lead'})
        self.assertFalse(by_id[second.id]['consent_required'])

    def test_admin_may_call_it_too(self):
        entries = self.env['website'].with_user(self.admin_user).tiktok_sidecar_settings()
        self.assertIn(self.website.id, [entry['website_id'] for entry in entries])

    def test_secrets_are_unreadable_for_plain_users(self):
        self.website.write({'tiktok_access_token': WEBSITE_TOKEN, 'tiktok_test_event_code': 'TEST123'})
        for user in (self.internal_user, self.portal_user, self.public_user, self.sidecar_user):
            website = self.website.with_user(user)
            for secret in ('tiktok_access_token', 'tiktok_test_event_code'):
                with self.assertRaises(AccessError, msg='%s %s' % (user.login, secret)):
                    website.read([secret])
                self.assertNotIn(secret, website.fields_get(['name', secret]))
        # The sidecar gets them through its method only.
        entry = next(entry for entry in self.env['website'].with_user(self.sidecar_user).tiktok_sidecar_settings()
                     if entry['website_id'] == self.website.id)
        self.assertEqual((entry['access_token'], entry['test_event_code']), (WEBSITE_TOKEN, 'TEST123'))

    def test_sidecar_user_cannot_write_settings_or_read_parameters(self):
        with self.assertRaises(AccessError):
            self.website.with_user(self.sidecar_user).write({'tiktok_pixel_id': GLOBAL_PIXEL})
        with self.assertRaises(AccessError):
            self.env['ir.config_parameter'].with_user(self.sidecar_user).get_param(
                'website_tiktok_events.access_token')

    def test_sidecar_group_grants_no_access_to_shop_data(self):
        # The least-privilege sidecar user: a portal user in the sidecar group only.
        sidecar = new_test_user(self.env, 'tt_sidecar_portal',
                                groups=SIDECAR_GROUPS)
        for model in ('payment.transaction', 'payment.provider', 'tiktok.server.event'):
            for mode in ('read', 'write', 'create'):
                self.assertFalse(self.env[model].with_user(sidecar).has_access(mode), '%s %s' % (model, mode))
        customer = self.env['res.partner'].create({'name': 'Somebody', 'email': 'somebody@example.com'})
        order = self.env['sale.order'].create({'partner_id': customer.id, 'website_id': self.website.id})
        for record in (customer, order):
            with self.assertRaises(AccessError, msg=record._name):
                record.with_user(sidecar).read(['display_name'])
        self.assertFalse(self.env['sale.order'].with_user(sidecar).search([]))
        self.assertIn(self.website.id, [
            entry['website_id'] for entry in self.env['website'].with_user(sidecar).tiktok_sidecar_settings()])
        self.assertEqual(self.env['sale.order'].with_user(sidecar).tiktok_claim_purchases(claimer='r1'), [])


@tagged('post_install', '-at_install')
class TestSidecarSettingsOverJson2(HttpCase):
    """The method is reachable the way the sidecar calls it: JSON-2 with an API key."""

    def _call(self, user, path='/json/2/website/tiktok_sidecar_settings', payload=None):
        key = self.env['res.users.apikeys'].with_user(user)._generate(
            scope='rpc', name='sidecar', expiration_date=datetime.now() + timedelta(days=1))
        return self.url_open(
            path, data=json.dumps(payload or {}),
            headers={'Content-Type': 'application/json', 'Authorization': 'bearer %s' % key,
                     'X-Odoo-Database': get_db_name()})

    def test_salesman_cannot_queue_a_purchase_over_json2(self):
        salesman = new_test_user(self.env, 'tt_salesman_rpc', groups='sales_team.group_sale_salesman_all_leads')
        order = self.env['sale.order'].with_user(salesman).create({
            'partner_id': self.env.ref('base.res_partner_2').id, 'website_id': self.env['website'].browse(1).id,
        })
        with mute_logger('odoo.http', 'odoo.models'):
            calls = [
                ('/json/2/sale.order/write', {'ids': [order.id], 'vals': {
                    'tiktok_purchase_state': 'pending', 'tiktok_consent': 'granted', 'tiktok_ttclid': 'forged'}}),
                ('/json/2/sale.order/write', {'ids': [order.id], 'vals': {'tiktok_purchase_state': 'pending'}}),
                ('/json/2/sale.order/_tiktok_mark_purchase_due', {'ids': [order.id]}),
                ('/json/2/tiktok.server.event/create', {'vals_list': [{
                    'sale_order_id': order.id, 'website_id': 1, 'event_id': 'forged'}]}),
                ('/json/2/sale.order/tiktok_claim_purchases', {}),
            ]
            answers = [self._call(salesman, path, payload) for path, payload in calls]
        # The plain write may be accepted (the state is computed, it stores nothing); everything else is refused.
        self.assertEqual([answer.status_code for answer in answers[2:]], [403, 403, 403],
                         [answer.text for answer in answers])
        self.assertFalse(self.env['tiktok.server.event'].search([('sale_order_id', '=', order.id)]))
        self.assertFalse(order.tiktok_purchase_state)

    def test_json2_call(self):
        self.env['ir.config_parameter'].sudo().set_param('website_tiktok_events.access_token', GLOBAL_TOKEN)
        sidecar = new_test_user(self.env, 'tt_sidecar_rpc',
                                groups=SIDECAR_GROUPS)
        response = self._call(sidecar)
        self.assertEqual(response.status_code, 200, response.text)
        entries = response.json()
        self.assertIsInstance(entries, list)
        self.assertEqual(entries[0]['access_token'], GLOBAL_TOKEN)

        internal = new_test_user(self.env, 'tt_internal_rpc', groups='base.group_user')
        with mute_logger('odoo.http'):  # the refusal is logged as a warning by design
            refused = self._call(internal)
        self.assertEqual(refused.status_code, 403, refused.text)
        self.assertNotIn(GLOBAL_TOKEN, refused.text)
