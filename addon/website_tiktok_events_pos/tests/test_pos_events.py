from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.website_tiktok_events.tests.common import TikTokCase
from odoo.addons.website_tiktok_events.tools.hashing import hash_email, hash_phone

from .common import open_pos_session, pos_order

EVENT_SET = '7400000000000000001'


@tagged('post_install', '-at_install')
class TestPosOfflineEvents(TikTokCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_users('pos')
        cls.cashier = new_test_user(cls.env, 'tt_cashier_pos', groups='base.group_user,point_of_sale.group_pos_user')
        cls.config = cls.env['pos.config'].create({'name': 'TikTok Shop', 'company_id': cls.website.company_id.id})
        cls.config.write({'tiktok_offline_event_set_id': EVENT_SET, 'tiktok_website_id': cls.website.id})
        cls.session = open_pos_session(cls.env, cls.config)
        cls.product = cls.env['product.product'].create({
            'name': 'Oak chair', 'default_code': 'CHAIR-1', 'list_price': 10.0, 'available_in_pos': True})
        cls.customer = cls.env['res.partner'].create({
            'name': 'Shop Buyer', 'email': ' Buyer@Example.com ', 'phone': '0470 12 34 56',
            'country_id': cls.env.ref('base.be').id})
        cls.Queue = cls.env['tiktok.source.event'].with_user(cls.sidecar_user)

    def _order(self, user=None, **kwargs):
        env = self.env(user=user) if user else self.env
        return pos_order(env, self.session.with_env(env), self.product.with_env(env), **kwargs)

    def _queued(self, order):
        sales = self.env['tiktok.pos.sale'].sudo().search([('order_id', '=', order.id)])
        return self.env['tiktok.source.event'].sudo().search(
            [('res_model', '=', 'tiktok.pos.sale'), ('res_id', 'in', sales.ids)])

    def _claim(self):
        return self.Queue.tiktok_claim_source_events(limit=100, lease_seconds=600, claimer='a')

    def test_a_paid_order_with_a_customer_is_one_offline_purchase(self):
        order = self._order(partner=self.customer, user=self.cashier)
        row = self._queued(order)
        self.assertEqual(len(row), 1)
        self.assertEqual((row.event_source, row.event_source_id, row.event, row.website_id),
                         ('offline', EVENT_SET, 'Purchase', self.website))
        self.assertEqual(row.queued_at, order.date_order)
        # Posting it, or writing its state again, queues nothing more.
        order.write({'state': 'done'})
        order.sudo().write({'state': 'paid'})
        self.assertEqual(self._queued(order), row)
        claimed = self._claim()
        self.assertEqual(claimed, [{
            'website_id': self.website.id,
            'event_source': 'offline',
            'event_source_id': EVENT_SET,
            'event': 'Purchase',
            'event_id': row.event_id,
            'event_time': int(order.date_order.timestamp()),
            'user': {
                'email': hash_email('buyer@example.com'),
                'phone': hash_phone('0470 12 34 56', 'BE'),
                'external_id': self.customer._tiktok_external_id(),
            },
            'properties': {
                'value': 20.0,
                'currency': order.currency_id.name,
                'contents': [{'content_id': str(self.product.id), 'content_type': 'product',
                              'content_name': 'Oak chair', 'price': 10.0, 'quantity': 2.0}],
                'order_id': order.name,
                'shop_id': str(self.config.id),
            },
        }])
        self.assertRegex(row.event_id, r'^offline-[0-9a-f]{32}$')

    def test_content_ids_follow_the_website_rule(self):
        self.website.tiktok_content_id_source = 'default_code'
        self._order(partner=self.customer)
        contents = self._claim()[0]['properties']['contents']
        self.assertEqual([(c['content_id'], c['content_name']) for c in contents], [('CHAIR-1', 'Oak chair')])

    def test_content_prices_have_their_currencys_decimals(self):
        # A unit price with float noise (as a pricelist in another currency makes one).
        self._order(partner=self.customer, qty=1, price_unit=89.83800000000001)
        contents = self._claim()[0]['properties']['contents']
        self.assertEqual([c['price'] for c in contents], [self.session.currency_id.round(89.838)])
        self.assertNotEqual(contents[0]['price'], 89.83800000000001)

    def test_anonymous_sales_are_skipped_and_counted(self):
        without_customer = self._order()
        without_keys = self._order(partner=self.env['res.partner'].create({'name': 'Walk-in'}))
        self.assertEqual(self._claim(), [])
        rows = self._queued(without_customer) | self._queued(without_keys)
        self.assertEqual(rows.mapped('state'), ['skipped', 'skipped'])
        self.assertEqual(set(rows.mapped('skip_reason')), {'anonymous'})
        self.assertEqual(self.env['tiktok.source.event'].sudo().search_count(
            [('event_source', '=', 'offline'), ('skip_reason', '=', 'anonymous')]), 2)

    def test_unpaid_orders_refunds_and_unset_shops_queue_nothing(self):
        draft = self._order(partner=self.customer, paid=False)
        self.assertFalse(self._queued(draft))
        paid = self._order(partner=self.customer)
        refund = paid._refund()
        refund.add_payment({'pos_order_id': refund.id, 'amount': refund.amount_total,
                            'payment_date': fields.Datetime.now(),
                            'payment_method_id': self.config.payment_method_ids[:1].id})
        refund.action_pos_order_paid()
        self.assertEqual(refund.state, 'paid')
        self.assertFalse(self._queued(refund))
        self.config.tiktok_offline_event_set_id = False
        unset = self._order(partner=self.customer)
        self.assertFalse(self._queued(unset))
        # Nothing of a sale that sends nothing is kept either.
        self.assertFalse(self.env['tiktok.pos.sale'].sudo().search([('order_id', 'in', (draft | refund | unset).ids)]))
        self.assertEqual(len(self._queued(paid)), 1)

    def test_sales_older_than_28_days_are_skipped(self):
        old = self._order(partner=self.customer, date_order=fields.Datetime.now() - timedelta(days=29))
        recent = self._order(partner=self.customer, date_order=fields.Datetime.now() - timedelta(days=27))
        self.assertEqual([c['event_id'] for c in self._claim()], self._queued(recent).mapped('event_id'))
        self.assertEqual(self._queued(old).skip_reason, 'too_old')

    def test_a_sale_dated_in_the_future_is_sent_as_of_now(self):
        order = self._order(partner=self.customer, date_order=fields.Datetime.now() + timedelta(days=3))
        self.assertLessEqual(self._queued(order).queued_at, fields.Datetime.now())

    def test_the_customer_and_shop_are_kept_as_they_were_when_paid(self):
        order = self._order(partner=self.customer, user=self.cashier)
        other = self.env['res.partner'].create({'name': 'Someone else', 'email': 'else@example.com'})
        other_config = self.env['pos.config'].create({'name': 'Other shop'})
        order.with_user(self.cashier).write({'partner_id': other.id, 'config_id': other_config.id})
        entry = self._claim()[0]
        self.assertEqual(entry['user']['email'], hash_email('buyer@example.com'))
        self.assertEqual(entry['properties']['shop_id'], str(self.config.id))

    def test_the_value_and_lines_are_what_was_paid_whatever_the_cashier_writes_later(self):
        order = self._order(partner=self.customer, user=self.cashier)
        as_cashier = order.with_user(self.cashier)
        as_cashier.write({'amount_total': 9999999.0, 'amount_paid': 9999999.0, 'name': 'Forged ref'})
        as_cashier.lines.write({'qty': 9999, 'price_unit': 999.0})
        as_cashier.payment_ids.write({'amount': 9999999.0})
        with self.assertRaises(AccessError):
            self.env['tiktok.pos.sale'].sudo().search([('order_id', '=', order.id)]).with_user(
                self.cashier).write({'amount': 9999999.0})
        properties = self._claim()[0]['properties']
        sale = self.env['tiktok.pos.sale'].sudo().search([('order_id', '=', order.id)])
        self.assertEqual((properties['value'], properties['order_id']), (20.0, sale.order_name))
        self.assertNotEqual(properties['order_id'], 'Forged ref')
        self.assertEqual([(c['price'], c['quantity']) for c in properties['contents']], [(10.0, 2.0)])

    def test_the_value_is_the_payment_net_of_change(self):
        order = self._order(partner=self.customer, paid=False, user=self.cashier)
        method = self.config.payment_method_ids[:1]
        order.add_payment({'pos_order_id': order.id, 'amount': 50.0, 'payment_date': fields.Datetime.now(),
                           'payment_method_id': method.id})
        order.add_payment({'pos_order_id': order.id, 'amount': -30.0, 'payment_date': fields.Datetime.now(),
                           'payment_method_id': method.id, 'is_change': True})
        order.with_user(self.cashier).action_pos_order_paid()
        self.assertEqual(self._claim()[0]['properties']['value'], 20.0)

    def test_an_order_set_paid_without_any_payment_is_never_queued(self):
        as_cashier = self.env['pos.order'].with_user(self.cashier)
        created_paid = pos_order(self.env(user=self.cashier), self.session.with_user(self.cashier),
                                 self.product.with_user(self.cashier), partner=self.customer, paid=False,
                                 state='paid', amount_total=9999999.0, amount_paid=9999999.0)
        self.assertEqual(created_paid.state, 'paid')
        written_paid = pos_order(self.env(user=self.cashier), self.session.with_user(self.cashier),
                                 self.product.with_user(self.cashier), partner=self.customer, paid=False)
        as_cashier.browse(written_paid.id).write({'state': 'paid', 'amount_paid': 20.0})
        self.assertFalse(self._queued(created_paid) | self._queued(written_paid))
        self.assertEqual(self._claim(), [])

    def test_settings_are_validated(self):
        with self.assertRaisesRegex(ValidationError, 'letters, digits'):
            self.config.tiktok_offline_event_set_id = 'not an id!'
        with self.assertRaisesRegex(ValidationError, 'Choose the website'):
            self.config.write({'tiktok_offline_event_set_id': '123', 'tiktok_website_id': False})
        other_company = self.env['res.company'].create({'name': 'Other company'})
        other_website = self.env['website'].create({'name': 'Other', 'company_id': other_company.id})
        with self.assertRaisesRegex(ValidationError, 'another company'):
            self.config.tiktok_website_id = other_website

    def test_cashiers_cannot_forge_redirect_or_rearm_events(self):
        order = self._order(partner=self.customer, user=self.cashier)
        row = self._queued(order)
        self._claim()
        self.Queue.tiktok_mark_source_events(event_ids=row.mapped('event_id'), state='sent', claimer='a')
        # Paying or posting it again re-arms nothing.
        order.with_user(self.cashier).write({'state': 'done'})
        with self.assertRaises(AccessError):
            self.env['tiktok.pos.sale'].with_user(self.cashier).search([])
        with self.assertRaises(AccessError):
            self.env['tiktok.pos.sale'].with_user(self.cashier).create(
                {'order_id': order.id, 'config_id': self.config.id, 'partner_id': self.customer.id})
        with self.assertRaises(AccessError):
            self.env['tiktok.pos.sale'].sudo().search([('order_id', '=', order.id)]).with_user(
                self.cashier).write({'partner_id': False})
        with self.assertRaises(AccessError):
            row.with_user(self.cashier).write({'state': 'pending'})
        manager = new_test_user(self.env, 'tt_pos_manager', groups='base.group_user,point_of_sale.group_pos_manager')
        for user in (self.cashier, manager):
            with self.assertRaises(AccessError):
                self.config.with_user(user).write({'tiktok_offline_event_set_id': '999'})
            with self.assertRaises(AccessError):
                self.config.with_user(user).read(['tiktok_offline_event_set_id'])
        self.assertEqual(self.config.tiktok_offline_event_set_id, EVENT_SET)
        with self.assertRaises(AccessError):
            self.env['tiktok.source.event'].with_user(self.cashier).tiktok_claim_source_events()
        self.assertEqual(row.state, 'sent')
        self.assertEqual(len(self._queued(order)), 1)
