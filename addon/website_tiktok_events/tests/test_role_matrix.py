from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .control_room_common import ControlRoomCase, a_dead_letter, a_report

# Every method the module adds (or overrides) that RPC can reach, by who may call it.
SIDECAR_METHODS = {
    'website.tiktok_sidecar_settings': lambda env, rec: env['website'].tiktok_sidecar_settings(),
    'sale.order.tiktok_claim_purchases': lambda env, rec: env['sale.order'].tiktok_claim_purchases(claimer='x'),
    'sale.order.tiktok_mark_purchases': lambda env, rec: env['sale.order'].tiktok_mark_purchases(
        order_ids=[rec['order'].id], state='sent', claimer='x'),
    'sale.order.tiktok_backfill_purchases': lambda env, rec: env['sale.order'].tiktok_backfill_purchases(
        max_age_seconds=3600, dry_run=True),
    'tiktok.source.event.tiktok_claim_source_events': lambda env, rec: env[
        'tiktok.source.event'].tiktok_claim_source_events(claimer='x'),
    'tiktok.source.event.tiktok_mark_source_events': lambda env, rec: env[
        'tiktok.source.event'].tiktok_mark_source_events(event_ids=['x'], state='sent', claimer='x'),
    'tiktok.sidecar.report.tiktok_report': lambda env, rec: env['tiktok.sidecar.report'].tiktok_report(
        a_report('matrix-replica')),
}
ADMINISTRATOR_METHODS = {
    'sale.order.action_tiktok_send_purchase_again': lambda env, rec: rec['order'].with_env(
        env).action_tiktok_send_purchase_again(),
    'tiktok.sidecar.report.tiktok_dashboard_data': lambda env, rec: env[
        'tiktok.sidecar.report'].tiktok_dashboard_data(),
    'tiktok.sidecar.report.tiktok_connection_status': lambda env, rec: env[
        'tiktok.sidecar.report'].tiktok_connection_status(0),
    'tiktok.dead.letter.action_send_again': lambda env, rec: rec['letter'].with_env(env).action_send_again(),
    'tiktok.test.event.tiktok_test_event_status': lambda env, rec: env['tiktok.test.event'].browse(
        rec['letter'].id).tiktok_test_event_status(),
    'res.config.settings.action_tiktok_send_test_event': lambda env, rec: env['res.config.settings'].create(
        {}).action_tiktok_send_test_event(),
    'tiktok.sidecar.connect.action_connect': lambda env, rec: env['tiktok.sidecar.connect'].create(
        {'login': 'matrix-sidecar', 'odoo_url': 'https://shop.example'}).action_connect(),
    'tiktok.web.checkout.create': lambda env, rec: env['tiktok.web.checkout'].create(
        {'sale_order_id': rec['order'].id}),
    'tiktok.web.checkout.read': lambda env, rec: env['tiktok.web.checkout'].search([]).read(['partner_id']),
    'tiktok.server.event.create': lambda env, rec: env['tiktok.server.event'].create(
        {'sale_order_id': rec['order'].id, 'website_id': rec['order'].website_id.id, 'event_id': 'forged'}),
    'tiktok.server.event.read': lambda env, rec: env['tiktok.server.event'].search([]).read(['state']),
    'tiktok.source.event.read': lambda env, rec: env['tiktok.source.event'].search([]).read(['state']),
}


@tagged('post_install', '-at_install')
class TestRoleMatrix(ControlRoomCase):
    """Every Odoo role against every method the module adds: only the sidecar's
    account and administrators pass, each only where it should."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env['ir.config_parameter'].sudo().set_param('auth_signup.invitation_scope', 'b2c')
        cls.env['res.users'].sudo().signup({'login': 'tt_matrix_visitor', 'name': 'Visitor',
                                            'password': 'visitor-password-1'})
        cls.roles = {
            'public': cls.env.ref('base.public_user'),
            'portal': new_test_user(cls.env, 'tt_matrix_portal', groups='base.group_portal'),
            'signed-up visitor': cls.env['res.users'].search([('login', '=', 'tt_matrix_visitor')]),
            'salesman': new_test_user(cls.env, 'tt_matrix_salesman', groups='sales_team.group_sale_salesman'),
            'all-leads salesman': new_test_user(cls.env, 'tt_matrix_salesman_all',
                                                groups='sales_team.group_sale_salesman_all_leads'),
            'designer': new_test_user(cls.env, 'tt_matrix_designer',
                                      groups='base.group_user,website.group_website_designer'),
            'internal user': new_test_user(cls.env, 'tt_matrix_internal', groups='base.group_user'),
        }
        order = cls.env['sale.order'].create({'partner_id': cls.env.ref('base.res_partner_2').id,
                                              'website_id': cls.website.id})
        cls.env['tiktok.sidecar.report'].sudo().with_user(cls.sidecar).tiktok_report(
            a_report('matrix-seed', dead_letters=[a_dead_letter(77)]))
        cls.records = {'order': order, 'letter': cls.env['tiktok.dead.letter'].search([], limit=1)}

    def assert_refused(self, user, name, call):
        with self.assertRaises(AccessError, msg='%s may call %s' % (user.login, name)):
            call(self.env(user=user), self.records)

    def test_no_ordinary_role_reaches_any_method(self):
        self.assertTrue(self.roles['signed-up visitor']._is_portal())
        for role, user in self.roles.items():
            for name, call in {**SIDECAR_METHODS, **ADMINISTRATOR_METHODS}.items():
                with self.subTest(role=role, method=name):
                    self.assert_refused(user, name, call)
        self.assertFalse(self.env['tiktok.sidecar.report'].search([('replica', '=', 'matrix-replica')]))
        self.assertFalse(self.env['res.users'].search([('login', '=', 'matrix-sidecar')]))

    def test_the_sidecar_account_reaches_its_methods_and_nothing_of_the_administrators(self):
        sidecar_env = self.env(user=self.sidecar)
        for name, call in SIDECAR_METHODS.items():
            with self.subTest(method=name):
                call(sidecar_env, self.records)
        for name, call in ADMINISTRATOR_METHODS.items():
            with self.subTest(method=name):
                self.assert_refused(self.sidecar, name, call)

    def test_an_archived_sidecar_account_or_the_public_user_in_the_group_is_refused(self):
        group = self.env.ref('website_tiktok_events.group_tiktok_sidecar')
        self.env.ref('base.public_user').sudo().write({'group_ids': [(4, group.id)]})
        archived = new_test_user(self.env, 'tt_matrix_archived',
                                 groups='base.group_portal,website_tiktok_events.group_tiktok_sidecar')
        archived.active = False
        for user in (self.env.ref('base.public_user'), archived):
            for name, call in SIDECAR_METHODS.items():
                with self.subTest(user=user.login, method=name):
                    self.assert_refused(user, name, call)
