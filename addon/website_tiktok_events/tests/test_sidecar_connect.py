import json
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.tests import HttpCase, get_db_name, mute_logger, new_test_user, tagged

from odoo.addons.website_tiktok_events.models.tiktok_sidecar_report import TikTokSidecarReport
from odoo.addons.website_tiktok_events.tools.report_contract import MAX_REPORT_BYTES

from .control_room_common import SIDECAR_GROUPS, a_counter, a_dead_letter, a_report

SETTINGS_PATH = '/json/2/website/tiktok_sidecar_settings'
REPORT_PATH = '/json/2/tiktok.sidecar.report/tiktok_report'


@tagged('post_install', '-at_install')
class TestConnectTheSidecar(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref('base.user_admin')
        cls.env['ir.config_parameter'].sudo().set_param('website_tiktok_events.access_token', 'tok-connect')

    def post(self, key, path=SETTINGS_PATH, payload=None):
        return self.url_open(
            path, data=json.dumps(payload or {}),
            headers={'Content-Type': 'application/json', 'Authorization': 'bearer %s' % key,
                     'X-Odoo-Database': get_db_name()})

    def connect(self, login='tiktok-sidecar'):
        wizard = self.env['tiktok.sidecar.connect'].with_user(self.admin).create(
            {'login': login, 'odoo_url': 'https://shop.example/'})
        return wizard, wizard.action_connect()

    def test_the_wizard_makes_a_portal_user_in_the_sidecar_group_only_and_a_working_key(self):
        _wizard, action = self.connect()
        params = action['params']
        self.assertEqual((action['tag'], action['target']), ('website_tiktok_events.sidecar_key', 'new'))
        user = self.env['res.users'].search([('login', '=', 'tiktok-sidecar')])
        self.assertEqual(user.group_ids, self.env.ref('base.group_portal') | self.env.ref(
            'website_tiktok_events.group_tiktok_sidecar'))
        self.assertTrue(user._is_portal())
        self.assertFalse(user.has_group('base.group_user'))
        key = params['key']
        self.assertEqual(params['env_lines'].splitlines(), [
            'ODOO_URL=https://shop.example', 'ODOO_DB=%s' % get_db_name(), 'ODOO_LOGIN=tiktok-sidecar',
            'ODOO_API_KEY=%s' % key])
        self.assertIn('ODOO_API_KEY=%s' % key, params['compose'])
        self.assertFalse(params['rotated'])
        # Odoo keeps a hash only.
        self.env.cr.execute('SELECT key FROM res_users_apikeys WHERE user_id = %s', [user.id])
        self.assertNotIn(key, [row[0] for row in self.env.cr.fetchall()])

        response = self.post(key)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()[0]['access_token'], 'tok-connect')
        status = self.env['tiktok.sidecar.report'].with_user(self.admin).tiktok_connection_status(params['since'])
        self.assertFalse(status['connected'])
        reported = self.post(key, REPORT_PATH, {'report': a_report('connected-1', counters=[a_counter(accepted=1)])})
        self.assertEqual(reported.status_code, 200, reported.text)
        self.assertEqual(reported.json(), {'ok': True, 'send_again': [], 'test_events': []})
        status = self.env['tiktok.sidecar.report'].with_user(self.admin).tiktok_connection_status(params['since'])
        self.assertEqual((status['connected'], status['replicas'][0]['replica']), (True, 'connected-1'))
        # The key opens none of the shop's data: a portal user sees its own orders
        # and partner only (it has none), and nothing of the control room.
        customer = self.env['res.partner'].create({'name': 'Somebody', 'email': 'somebody@example.com'})
        order = self.env['sale.order'].create({'partner_id': customer.id})
        orders = self.post(key, '/json/2/sale.order/search_read', {'domain': [], 'fields': ['name']})
        self.assertEqual((orders.status_code, orders.json()), (200, []), orders.text)
        partners = self.post(key, '/json/2/res.partner/search_read', {'domain': [], 'fields': ['email']})
        self.assertNotIn('somebody@example.com', partners.text)
        self.assertNotIn(order.name, orders.text)
        with mute_logger('odoo.http'):
            for model in ('tiktok.dead.letter', 'tiktok.sidecar.report', 'tiktok.server.event', 'payment.transaction'):
                refused = self.post(key, '/json/2/%s/search_read' % model, {'domain': [], 'fields': ['id']})
                self.assertEqual(refused.status_code, 403, '%s %s' % (model, refused.text))

    def test_the_key_is_scoped_to_rpc_and_expires_when_asked(self):
        params = self.env['ir.config_parameter'].sudo()
        params.set_param('website_tiktok_events.enabled', 'True')
        params.set_param('website_tiktok_events.pixel_id', 'C4A1B2C3D4E5F6G7H8I9')
        self.connect()
        user = self.env['res.users'].search([('login', '=', 'tiktok-sidecar')])
        key = self.env['res.users.apikeys'].sudo().search([('user_id', '=', user.id)])
        # Scoped: JSON-2 and XML-RPC take it, nothing that asks for another scope does.
        self.assertEqual((key.scope, key.expiration_date), ('rpc', False))
        self.assertFalse(self.website_warning_mentions('expires on'))
        wizard = self.env['tiktok.sidecar.connect'].with_user(self.admin).create(
            {'login': 'tiktok-sidecar', 'odoo_url': 'https://shop.example/', 'key_lifetime': '90'})
        params = wizard.action_connect()['params']
        key = self.env['res.users.apikeys'].sudo().search([('user_id', '=', user.id)])
        self.assertEqual(key.scope, 'rpc')
        self.assertAlmostEqual(key.expiration_date, datetime.now() + timedelta(days=90), delta=timedelta(minutes=5))
        self.assertEqual(self.post(params['key']).status_code, 200)
        self.assertFalse(self.website_warning_mentions('expires on'))
        # Two weeks before it stops, the settings say so; once past, the key opens nothing.
        key_table = self.env['res.users.apikeys']._table
        self.env.cr.execute('UPDATE %s SET expiration_date = %%s WHERE id = %%s' % key_table,
                            [datetime.now() + timedelta(days=3), key.id])
        self.assertTrue(self.website_warning_mentions('expires on'))
        self.env.cr.execute('UPDATE %s SET expiration_date = %%s WHERE id = %%s' % key_table,
                            [datetime.now() - timedelta(minutes=1), key.id])
        with mute_logger('odoo.http'):
            self.assertEqual(self.post(params['key']).status_code, 401)

    def website_warning_mentions(self, text):
        website = self.env['website'].browse(1)
        self.env.invalidate_all()
        return text in (website.with_user(self.admin).tiktok_warnings or '')

    def test_running_it_again_rotates_the_key(self):
        _wizard, first = self.connect()
        wizard, second = self.connect()
        self.assertTrue(second['params']['rotated'])
        self.assertEqual(wizard.existing_key_count, 1)
        self.assertIn('tiktok-sidecar already has 1 API key(s)', wizard.rotation_warning)
        with mute_logger('odoo.http'):
            old = self.post(first['params']['key'])
        self.assertEqual(old.status_code, 401, old.text)
        self.assertEqual(self.post(second['params']['key']).status_code, 200)
        user = self.env['res.users'].search([('login', '=', 'tiktok-sidecar')])
        self.assertEqual(self.env['res.users.apikeys'].sudo().search_count([('user_id', '=', user.id)]), 1)

    def sign_up(self, login, password):
        """A visitor's account, made the way /web/signup makes it (a copy of the portal template)."""
        self.env['ir.config_parameter'].sudo().set_param('auth_signup.invitation_scope', 'b2c')
        self.env['res.users'].sudo().signup({'login': login, 'name': 'Mallory', 'password': password})
        return self.env['res.users'].search([('login', '=', login)])

    def assert_password_refused(self, user, password):
        with self.assertRaises(AccessDenied):
            user.with_user(user)._check_credentials(
                {'login': user.login, 'password': password, 'type': 'password'}, {'interactive': False})

    def test_an_account_a_visitor_signed_up_with_the_login_is_never_adopted(self):
        visitor = self.sign_up('tiktok-sidecar', 'mallory-password-1')
        groups = visitor.group_ids
        wizard = self.env['tiktok.sidecar.connect'].with_user(self.admin).create(
            {'login': 'tiktok-sidecar', 'odoo_url': 'https://shop.example/'})
        self.assertIn('was not made by this wizard', wizard.login_problem)
        self.assertFalse(wizard.existing_user_id)
        with self.assertRaisesRegex(UserError, 'was not made by this wizard'):
            wizard.action_connect()
        self.assertEqual(visitor.group_ids, groups)
        self.assertFalse(visitor.has_group('website_tiktok_events.group_tiktok_sidecar'))
        with self.assertRaises(AccessError):
            self.env['website'].with_user(visitor).tiktok_sidecar_settings()
        # The dialog proposes a login nobody holds, and that one works.
        fresh = self.env['tiktok.sidecar.connect'].with_user(self.admin).create({'odoo_url': 'https://shop.example/'})
        self.assertRegex(fresh.login, r'^tiktok-sidecar-[0-9a-f]{6}$')
        fresh.action_connect()
        user = self.env['res.users'].search([('login', '=', fresh.login)])
        self.assertTrue(user.has_group('website_tiktok_events.group_tiktok_sidecar'))
        self.assertNotEqual(user, visitor)

    def test_an_existing_portal_user_is_refused_and_left_as_it_was(self):
        user = new_test_user(self.env, 'tt_existing_portal', groups='base.group_portal,base.group_partner_manager')
        groups = user.group_ids
        with self.assertRaisesRegex(UserError, 'tt_existing_portal'):
            self.connect('tt_existing_portal')
        self.assertEqual(user.group_ids, groups)

    def test_each_connection_resets_the_credentials_of_its_own_user(self):
        _wizard, first = self.connect()
        user = self.env['res.users'].search([('login', '=', 'tiktok-sidecar')])
        # Somebody learnt a password and keeps a key of his own.
        user.sudo().password = 'learnt-password-1'
        extra_key = self.env['res.users.apikeys'].with_user(user).sudo()._generate('rpc', 'his key', None)
        wizard, second = self.connect()
        self.assertEqual(self.env['res.users'].search([('login', '=', 'tiktok-sidecar')]), user)
        self.assertEqual(wizard.existing_user_id, user)
        self.assert_password_refused(user, 'learnt-password-1')
        with mute_logger('odoo.http'):
            for stale in (first['params']['key'], extra_key):
                self.assertEqual(self.post(stale).status_code, 401)
        self.assertEqual(self.post(second['params']['key']).status_code, 200)

    def test_other_portal_users_leave_the_group_when_the_sidecar_is_connected(self):
        by_hand = new_test_user(self.env, 'tt_hand_sidecar', groups=SIDECAR_GROUPS)
        key = self.env['res.users.apikeys'].with_user(by_hand).sudo()._generate('rpc', 'by hand', None)
        admin_in_group = new_test_user(self.env, 'tt_admin_sidecar',
                                       groups='base.group_system,website_tiktok_events.group_tiktok_sidecar')
        self.connect()
        self.assertFalse(by_hand.has_group('website_tiktok_events.group_tiktok_sidecar'))
        self.assertTrue(admin_in_group.has_group('website_tiktok_events.group_tiktok_sidecar'))
        with mute_logger('odoo.http'):
            self.assertEqual(self.post(key).status_code, 401)

    def test_a_signed_up_visitor_never_gets_the_sidecar_group_from_the_template(self):
        template = self.env['res.users'].browse(int(self.env['ir.config_parameter'].sudo().get_param(
            'base.template_portal_user_id')))
        template.sudo().write({'group_ids': [Command.link(self.env.ref(
            'website_tiktok_events.group_tiktok_sidecar').id)]})
        visitor = self.sign_up('tt_visitor_from_template', 'visitor-password-1')
        self.assertTrue(visitor._is_portal())
        self.assertFalse(visitor.has_group('website_tiktok_events.group_tiktok_sidecar'))
        with self.assertRaises(AccessError):
            self.env['website'].with_user(visitor).tiktok_sidecar_settings()

    def test_internal_users_and_non_administrators_are_refused(self):
        new_test_user(self.env, 'tt_internal_login', groups='base.group_user')
        with self.assertRaises(UserError):
            self.connect('tt_internal_login')
        designer = new_test_user(self.env, 'tt_connect_designer',
                                 groups='base.group_user,website.group_website_designer')
        with self.assertRaises(AccessError):
            self.env['tiktok.sidecar.connect'].with_user(designer).create({'login': 'x'}).action_connect()


@tagged('post_install', '-at_install')
class TestReportOverJson2(HttpCase):
    """tiktok_report is reached the way the sidecar calls it, and only by the sidecar and administrators."""

    def call(self, user, payload):
        key = self.env['res.users.apikeys'].with_user(user).sudo()._generate(
            'rpc', 'test', datetime.now() + timedelta(days=1))
        return self.url_open(
            REPORT_PATH, data=json.dumps(payload),
            headers={'Content-Type': 'application/json', 'Authorization': 'bearer %s' % key,
                     'X-Odoo-Database': get_db_name()})

    def test_only_the_sidecar_group_and_administrators(self):
        sidecar = new_test_user(self.env, 'tt_json2_sidecar', groups=SIDECAR_GROUPS)
        admin = self.env.ref('base.user_admin')
        self.assertEqual(self.call(sidecar, {'report': a_report('json2-a')}).status_code, 200)
        self.assertEqual(self.call(admin, {'report': a_report('json2-b')}).status_code, 200)
        with mute_logger('odoo.http'):
            for login, groups in (('tt_json2_portal', 'base.group_portal'), ('tt_json2_internal', 'base.group_user'),
                                  ('tt_json2_salesman', 'sales_team.group_sale_salesman_all_leads')):
                refused = self.call(new_test_user(self.env, login, groups=groups), {'report': a_report(login)})
                self.assertEqual(refused.status_code, 403, '%s %s' % (login, refused.text))
            garbage = self.call(sidecar, {'report': a_report('json2-c', counters=[a_counter(accepted=-1)])})
        self.assertEqual(garbage.status_code, 422, garbage.text)
        self.assertIn('counters[0].accepted must be a whole number', garbage.text)
        # A dead letter id past int4, as a long-lived outbox has: taken, not a database error.
        big = self.call(sidecar, {'report': a_report('json2-a', dead_letters=[a_dead_letter(2 ** 31 + 7)])})
        self.assertEqual(big.status_code, 200, big.text)
        self.assertEqual(sorted(self.env['tiktok.sidecar.report'].search([]).mapped('replica')), ['json2-a', 'json2-b'])

    def test_a_body_without_a_declared_length_is_refused_before_it_is_read(self):
        """A chunked body (no Content-Length) would pass the size check: refused (411)."""
        sidecar = new_test_user(self.env, 'tt_json2_chunked', groups=SIDECAR_GROUPS)
        key = self.env['res.users.apikeys'].with_user(sidecar).sudo()._generate(
            'rpc', 'test', datetime.now() + timedelta(days=1))
        body = json.dumps({'report': a_report('json2-chunked')}).encode()

        def chunks():
            for start in range(0, len(body), 1000):
                yield body[start:start + 1000]

        with mute_logger('odoo.http'), patch.object(TikTokSidecarReport, 'tiktok_report') as method:
            refused = self.url_open(REPORT_PATH, data=chunks(), headers={
                'Content-Type': 'application/json', 'Authorization': 'bearer %s' % key,
                'X-Odoo-Database': get_db_name()})
        self.assertEqual(refused.status_code, 411, refused.text[:500])
        self.assertNotIn('Content-Length', refused.request.headers)
        method.assert_not_called()
        # The same body with its length is taken.
        taken = self.call(sidecar, {'report': a_report('json2-chunked')})
        self.assertEqual(taken.status_code, 200, taken.text)

    def test_a_body_larger_than_any_report_is_refused_before_it_is_read(self):
        sidecar = new_test_user(self.env, 'tt_json2_big', groups=SIDECAR_GROUPS)
        padded = a_report('json2-big', lanes=[{'pixel_id': 'C' + 'A' * 19, 'test': False, 'state': 'running',
                                               'padding': 'x' * MAX_REPORT_BYTES}])
        with mute_logger('odoo.http'), patch.object(TikTokSidecarReport, 'tiktok_report') as method:
            refused = self.call(sidecar, {'report': padded})
        self.assertEqual(refused.status_code, 413, refused.text[:500])
        method.assert_not_called()
        self.assertFalse(self.env['tiktok.sidecar.report'].search([('replica', '=', 'json2-big')]))
