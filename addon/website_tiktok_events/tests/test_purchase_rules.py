import calendar
import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.payment.tests.common import PaymentCommon
from .common import TikTokCase, checked_out

DAY = 24 * 3600
# What the sidecar asks for: TikTok's 7 days less an hour to send them in.
WINDOW = 7 * DAY - 3600


@tagged('post_install', '-at_install')
class TestPurchaseRules(PaymentCommon, TikTokCase):
    """Which orders become a TikTok Purchase, and the backfill of missed ones."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_users('rules')
        cls.buyer = cls.env['res.partner'].create({'name': 'Rules Buyer', 'email': 'buyer@customer.example'})
        cls.desk = cls.env['product.product'].create({'name': 'Rules Desk', 'list_price': 675.0})
        cls.SaleOrder = cls.env['sale.order'].with_user(cls.sidecar_user)
        # The shop's own recent web orders (demo data) are out of the backfill's reach.
        cls.env['sale.order'].search([('website_id', '!=', False), ('state', '=', 'sale')]).write(
            {'date_order': fields.Datetime.now() - timedelta(days=30)})

    def _web_order(self, partner=None, **values):
        """An order a buyer checked out on the website."""
        return checked_out(self._order(partner, **values))

    def _order(self, partner=None, **values):
        return self.env['sale.order'].create({
            'partner_id': (partner or self.buyer).id,
            'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': self.desk.id, 'product_uom_qty': 2, 'price_unit': 675.0})],
            **values,
        })

    def _transaction(self, order):
        self.amount = order.amount_total
        self.currency = order.currency_id
        self.partner = order.partner_id
        return self._create_transaction(
            flow='redirect', sale_order_ids=[order.id], state='done', reference='TTR-%d' % order.id)

    def _pay(self, order):
        self._transaction(order)._post_process()

    def _paid_but_missed(self, partner=None, days_ago=0, **values):
        """A web order paid and confirmed while nothing queued its Purchase
        (module not installed yet, post-processing that never ran)."""
        order = self._web_order(partner, **values)
        self._transaction(order)
        order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        self.assertFalse(self._queued(order))
        return order

    def _queued(self, orders):
        return self.env['tiktok.server.event'].sudo().search([('sale_order_id', 'in', orders.ids)])

    def _claimed_ids(self):
        return [c['order_id'] for c in self.SaleOrder.tiktok_claim_purchases(limit=100, claimer='rules')]

    # ------------------------------------------------------------------
    # Exclusions
    # ------------------------------------------------------------------

    def test_internal_users_order_is_excluded_and_never_claimed(self):
        order = self._web_order(self.internal_user.partner_id)
        self._pay(order)
        self.assertEqual((order.tiktok_purchase_state, self._queued(order).skip_reason),
                         ('skipped', 'internal_user'))
        customer = self._web_order()
        self._pay(customer)
        self.assertEqual(self._claimed_ids(), [customer.id])
        # Not a browser Purchase either.
        self.assertNotIn('purchase', json.loads(
            self.website._tiktok_page_config(purchase_order=order)['config_json']))
        self.assertIn('purchase', json.loads(
            self.website._tiktok_page_config(purchase_order=customer)['config_json']))

    def test_portal_buyers_are_customers(self):
        portal = new_test_user(self.env, 'tt_portal_rules', groups='base.group_portal', email='p@customer.example')
        order = self._web_order(portal.partner_id)
        self._pay(order)
        self.assertEqual(self._claimed_ids(), [order.id])

    def test_user_made_internal_after_the_order_is_excluded_at_claim_time(self):
        portal = new_test_user(self.env, 'tt_staff_rules', groups='base.group_portal')
        order = self._web_order(portal.partner_id)
        self._pay(order)
        self.assertEqual(order.tiktok_purchase_state, 'pending')
        portal.write({'group_ids': [(6, 0, [self.env.ref('base.group_user').id])]})
        self.assertEqual(self._claimed_ids(), [])
        self.assertEqual(self._queued(order).skip_reason, 'internal_user')

    def test_test_addresses_and_domains_are_excluded(self):
        self.set_params(test_emails='QA@shop.example, @test.example')
        partners = {email: self.env['res.partner'].create({'name': email, 'email': email})
                    for email in ('qa@shop.example', 'Someone@TEST.example', 'other@shop.example')}
        orders = {email: self._web_order(partner) for email, partner in partners.items()}
        for order in orders.values():
            self._pay(order)
        self.assertEqual({email: self._queued(order).skip_reason for email, order in orders.items()},
                         {'qa@shop.example': 'test_buyer', 'Someone@TEST.example': 'test_buyer',
                          'other@shop.example': False})
        self.assertEqual(self._claimed_ids(), [orders['other@shop.example'].id])

    def test_website_test_buyers_replace_the_global_ones_and_apply_at_claim_time(self):
        self.set_params(test_emails='@test.example')
        partner = self.env['res.partner'].create({'name': 'T', 'email': 'someone@test.example'})
        self.website.tiktok_test_emails = 'owner@mail.example'
        order = self._web_order(partner)
        self._pay(order)
        self.assertEqual(order.tiktok_purchase_state, 'pending')
        self.website.tiktok_test_emails = 'owner@mail.example @test.example'
        self.assertEqual(self._claimed_ids(), [])
        self.assertEqual(self._queued(order).skip_reason, 'test_buyer')

    # ------------------------------------------------------------------
    # Cancellation, value and currency
    # ------------------------------------------------------------------

    def test_order_cancelled_before_it_was_sent_is_skipped(self):
        cancelled, sent = self._web_order(), self._web_order()
        self._pay(cancelled)
        self._pay(sent)
        self.assertEqual(self._claimed_ids(), [cancelled.id, sent.id])
        self.SaleOrder.tiktok_mark_purchases(order_ids=[sent.id], state='sent', claimer='rules')
        cancelled._action_cancel()
        sent._action_cancel()
        # Skipped at once, not at the next claim (the sidecar may be down).
        self.assertEqual((cancelled.tiktok_purchase_state, self._queued(cancelled).skip_reason),
                         ('skipped', 'cancelled'))
        self.assertEqual(sent.tiktok_purchase_state, 'sent')  # what TikTok got stays said
        self._queued(cancelled).sudo().lease_until = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(self._claimed_ids(), [])

    def test_value_and_currency_are_the_orders_own(self):
        company_currency = self.env.company.currency_id
        other = self.env['res.currency'].with_context(active_test=False).search(
            [('name', 'in', ('EUR', 'USD')), ('id', '!=', company_currency.id)], limit=1)
        other.active = True
        pricelist = self.env['product.pricelist'].create({'name': 'Other currency', 'currency_id': other.id})
        self.set_params(purchase_without_payment='True')
        order = self._web_order(pricelist_id=pricelist.id)
        order.action_confirm()
        self.assertEqual(order.currency_id, other)
        [entry] = self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='rules')
        self.assertEqual(entry['currency'], other.name)
        self.assertNotEqual(entry['currency'], company_currency.name)
        self.assertEqual(entry['value'], order.amount_total)
        self.assertEqual(entry['value'], sum(order.order_line.mapped('price_total')))
        self.assertEqual([c['price'] for c in entry['contents']], [675.0])

    # ------------------------------------------------------------------
    # Backfill
    # ------------------------------------------------------------------

    def test_backfill_queues_missed_orders_once(self):
        missed = self._paid_but_missed(days_ago=2)
        too_old = self._paid_but_missed(days_ago=8)
        staff = self._paid_but_missed(self.internal_user.partner_id)
        unpaid = self._web_order()
        unpaid.action_confirm()
        backoffice = self._paid_but_missed(website_id=False)
        already = self._web_order()
        self._pay(already)
        cancelled = self._paid_but_missed()
        cancelled._action_cancel()

        listed = self.SaleOrder.tiktok_backfill_purchases(max_age_seconds=WINDOW, dry_run=True)
        self.assertTrue(listed['dry_run'])
        outcomes = {entry['order_id']: entry['outcome'] for entry in listed['orders']}
        self.assertEqual(outcomes, {missed.id: 'queued', staff.id: 'internal_user', unpaid.id: 'not_paid'})
        self.assertFalse(self._queued(missed | staff | unpaid))  # a dry run writes nothing

        done = self.SaleOrder.tiktok_backfill_purchases(max_age_seconds=WINDOW)
        self.assertEqual((done['queued'], done['orders']), (1, listed['orders']))
        self.assertEqual(done['skipped'], [
            {'reason': 'internal_user', 'label': 'Excluded: the buyer is an internal user', 'count': 1},
            {'reason': 'not_paid', 'label': 'No confirmed payment and no opt-in for orders without one',
             'count': 1},
        ])
        self.assertEqual((self._queued(staff).state, self._queued(staff).skip_reason), ('skipped', 'internal_user'))
        self.assertFalse(self._queued(unpaid | too_old | backoffice | cancelled))

        claimed = {c['order_id']: c for c in self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='rules')}
        self.assertEqual(sorted(claimed), sorted([missed.id, already.id]))
        # The same id as its confirmation page, timed when it was confirmed.
        self.assertEqual(claimed[missed.id]['event_id'], missed._tiktok_purchase_data()['event_id'])
        self.assertEqual(claimed[missed.id]['event_time'], calendar.timegm(missed.date_order.timetuple()))

        again = self.SaleOrder.tiktok_backfill_purchases(max_age_seconds=WINDOW)
        self.assertEqual(again['queued'], 0)
        self.assertEqual([entry['order_id'] for entry in again['orders']], [unpaid.id])

    def test_backfill_applies_consent_the_opt_in_and_test_buyers(self):
        self.website.cookies_bar = True
        self.set_params(test_emails='@test.example')
        denied = self._paid_but_missed()
        denied._tiktok_store_buyer_context('denied')
        granted = self._paid_but_missed()
        granted._tiktok_store_buyer_context('granted')
        tester = self._paid_but_missed(self.env['res.partner'].create({'name': 'QA', 'email': 'qa@test.example'}))
        tester._tiktok_store_buyer_context('granted')
        self.set_params(purchase_without_payment='True')
        wired = self._web_order()
        wired._tiktok_store_buyer_context('granted')
        wired.action_confirm()
        self._queued(wired).unlink()  # confirmed while the module was not there
        result = self.SaleOrder.tiktok_backfill_purchases(max_age_seconds=WINDOW)
        self.assertEqual({entry['order_id']: entry['outcome'] for entry in result['orders']},
                         {denied.id: 'no_consent', granted.id: 'queued', tester.id: 'test_buyer',
                          wired.id: 'queued'})
        self.assertEqual(sorted(self._claimed_ids()), sorted([granted.id, wired.id]))

    def test_backfill_window_is_tiktoks_at_most(self):
        for wrong in (0, -5, 7 * DAY + 1, 'a week', None):
            with self.assertRaisesRegex(UserError, 'between 1 and 604800 seconds'):
                self.SaleOrder.tiktok_backfill_purchases(max_age_seconds=wrong)
        recent = self._paid_but_missed(days_ago=1)
        self.assertEqual(self.SaleOrder.tiktok_backfill_purchases(max_age_seconds=DAY // 2)['orders'], [])
        result = self.SaleOrder.tiktok_backfill_purchases(max_age_seconds=2 * DAY)
        self.assertEqual([entry['order_id'] for entry in result['orders']], [recent.id])

    def test_only_the_sidecar_and_admins_may_backfill(self):
        missed = self._paid_but_missed()
        salesman = new_test_user(self.env, 'tt_salesman_rules', groups='sales_team.group_sale_salesman_all_leads')
        portal = new_test_user(self.env, 'tt_portal_bf', groups='base.group_portal')
        for user in (salesman, portal, self.internal_user):
            with self.assertRaises(AccessError):
                self.env['sale.order'].with_user(user).tiktok_backfill_purchases(max_age_seconds=WINDOW)
            with self.assertRaises(AccessError):
                self.env['sale.order'].with_user(user).tiktok_backfill_purchases(
                    max_age_seconds=WINDOW, dry_run=True)
        self.assertFalse(self._queued(missed))
        admin = self.env.ref('base.user_admin')
        listed = self.env['sale.order'].with_user(admin).tiktok_backfill_purchases(max_age_seconds=WINDOW,
                                                                                   dry_run=True)
        self.assertEqual([entry['order_id'] for entry in listed['orders']], [missed.id])
        self.assertEqual(self.SaleOrder.tiktok_backfill_purchases(max_age_seconds=WINDOW)['queued'], 1)
