import calendar
import time
import unittest
from datetime import timedelta

from odoo import fields
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.payment.tests.common import PaymentCommon
from odoo.addons.website_tiktok_events.models import tiktok_claim_queue
from odoo.addons.website_tiktok_events.tools import hashing
from .common import TikTokCase, checked_out, paid
from .test_hashing import SKIP_WITHOUT_VECTORS, VECTORS

CLAIM_KEYS = {'order_id', 'website_id', 'event_id', 'event_time', 'order_name', 'value', 'currency',
              'contents', 'user', 'page_url'}


@tagged('post_install', '-at_install')
class TestPurchaseHandOff(PaymentCommon, TikTokCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_users('po')
        cls.buyer = cls.env['res.partner'].create({
            'name': 'Buyer', 'email': ' Buyer@Example.com', 'phone': '8 912 345 67 89',
            'country_id': cls.env.ref('base.ru').id,  # Russia's trunk prefix is 8
        })
        cls.desk = cls.env['product.product'].create({'name': 'Hand-off Desk', 'list_price': 675.0})
        cls.shipping = cls.env['product.product'].create({'name': 'Shipping', 'type': 'service'})
        cls.SaleOrder = cls.env['sale.order'].with_user(cls.sidecar_user)

    def _web_order(self, **values):
        order = self.env['sale.order'].create({
            'partner_id': self.buyer.id,
            'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': self.desk.id, 'product_uom_qty': 2, 'price_unit': 675.0})],
            **values,
        })
        self.env['sale.order.line'].create({
            'order_id': order.id, 'product_id': self.shipping.id, 'price_unit': 10.0, 'is_delivery': True,
        })
        # Its buyer reached the payment step of the website's checkout.
        return checked_out(order)

    def _pay(self, order, state='done'):
        return paid(self, order, state)

    def _queued(self, order):
        return self.env['tiktok.server.event'].sudo().search([('sale_order_id', '=', order.id)])

    def test_paid_web_order_becomes_due_once(self):
        order = self._web_order()
        self._pay(order)
        self.assertEqual(order.state, 'sale')
        self.assertEqual(order.tiktok_purchase_state, 'pending')
        queued = self._queued(order)
        self.assertEqual(len(queued), 1)
        first_time = queued.queued_at
        self.assertTrue(first_time)
        order._tiktok_mark_purchase_due()  # a second post-processing changes nothing
        self.assertEqual(self._queued(order), queued)
        self.assertEqual((queued.state, queued.queued_at), ('pending', first_time))

    def test_unpaid_or_non_web_orders_are_not_due(self):
        pending_payment = self._web_order()
        self._pay(pending_payment, state='pending')
        self.assertFalse(pending_payment.tiktok_purchase_state)
        backoffice = self._web_order(website_id=False)
        backoffice.action_confirm()
        self.assertFalse(backoffice.tiktok_purchase_state)

    def test_confirmation_without_payment_follows_the_opt_in(self):
        order = self._web_order()
        order.action_confirm()
        self.assertFalse(order.tiktok_purchase_state)
        self.set_params(purchase_without_payment='True')
        opted_in = self._web_order()
        opted_in.action_confirm()
        self.assertEqual(opted_in.tiktok_purchase_state, 'pending')

    def test_buyer_without_consent_is_not_sent(self):
        self.website.cookies_bar = True
        denied = self._web_order()
        denied._tiktok_store_buyer_context('denied', ip='203.0.113.7', user_agent='UA', ttclid='E.C.P.1')
        self.assertFalse(denied.tiktok_client_ip)  # nothing kept without consent
        self._pay(denied)
        self.assertEqual(denied.tiktok_purchase_state, 'skipped')
        unknown = self._web_order()  # never went through the web checkout
        self._pay(unknown)
        self.assertEqual(unknown.tiktok_purchase_state, 'skipped')
        granted = self._web_order()
        granted._tiktok_store_buyer_context('granted', ip='203.0.113.7')
        self._pay(granted)
        self.assertEqual(granted.tiktok_purchase_state, 'pending')

    def test_claim_returns_the_contract_shape(self):
        order = self._web_order()
        order._tiktok_store_buyer_context(
            'not_required', ip='203.0.113.7', user_agent='Mozilla/5.0 (X11)', ttclid='E.C.P.abc', ttp='ttp-1')
        self._pay(order)
        claimed = self.SaleOrder.tiktok_claim_purchases(limit=10, lease_seconds=60, claimer='host:1')
        self.assertEqual(len(claimed), 1)
        entry = claimed[0]
        self.assertEqual(set(entry), CLAIM_KEYS)
        self.assertEqual(entry['order_id'], order.id)
        self.assertEqual(entry['website_id'], self.website.id)
        self.assertRegex(entry['event_id'], r'^purchase-[0-9a-f]{32}$')
        self.assertEqual(entry['event_id'], order._tiktok_purchase_data()['event_id'])  # same as the page
        self.assertEqual(entry['order_name'], order.name)
        self.assertEqual(entry['value'], order.amount_total)
        self.assertEqual(entry['currency'], order.currency_id.name)
        self.assertEqual(entry['event_time'], calendar.timegm(self._queued(order).queued_at.timetuple()))
        self.assertLess(abs(entry['event_time'] - time.time()), 60)  # unix seconds, UTC
        self.assertEqual(entry['contents'], [{
            'content_id': str(self.desk.id), 'content_type': 'product', 'content_name': 'Hand-off Desk',
            'price': 675.0, 'quantity': 2.0,
        }])
        self.assertEqual(entry['user'], {
            'email': hashing.sha256_hex('buyer@example.com'),
            'phone': '694e8de862e4f3198b67f7a4aa9f4dfb123c5b78b0a72460ce882c405b111e63',  # +79123456789
            'external_id': self.buyer._tiktok_external_id(),
            'ip': '203.0.113.7', 'user_agent': 'Mozilla/5.0 (X11)', 'ttclid': 'E.C.P.abc', 'ttp': 'ttp-1',
        })
        self.assertTrue(entry['page_url'].endswith('/shop/confirmation'))
        self.assertEqual(order.tiktok_purchase_state, 'claimed')
        self.assertEqual(self._queued(order).claimed_by, 'host:1')

    @unittest.skipIf(VECTORS is None, SKIP_WITHOUT_VECTORS)
    def test_claim_carries_names_and_address_as_the_browser_identify_does(self):
        vector = VECTORS['partner_identify']
        buyer = self.env['res.partner'].create(self.vector_partner_values(vector['partner']))

        def claimed_user():
            order = self._web_order(partner_id=buyer.id)
            self._pay(order)
            claimed = self.SaleOrder.tiktok_claim_purchases(limit=10, lease_seconds=60, claimer='host:1')
            self.assertEqual([entry['order_id'] for entry in claimed], [order.id])
            return claimed[0]['user']

        def as_events_api(identify):
            keys = self.vector_keys(identify, buyer)
            keys['phone'] = keys.pop('phone_number')
            return keys

        # Default: the contact keys only, as before the switch existed.
        self.assertEqual(claimed_user(), as_events_api(vector['contact']))
        self.website.tiktok_match_keys = 'contact_name_address'
        self.assertEqual(claimed_user(), as_events_api(vector['contact_name_address']))
        # The same keys as the page config's identify for that partner (the browser's side of the pair).
        page_identify = self.website._tiktok_partner_match_keys(buyer)
        page_identify['phone'] = page_identify.pop('phone_number')
        self.assertEqual(page_identify, as_events_api(vector['contact_name_address']))

    def test_a_company_buyer_sends_no_first_and_last_name(self):
        self.website.tiktok_match_keys = 'contact_name_address'
        company = self.env['res.partner'].create({'name': 'Acme Corp', 'is_company': True, 'city': 'Lyon'})
        keys = self.website._tiktok_partner_match_keys(company)
        self.assertEqual(keys, {'external_id': company._tiktok_external_id(), 'city': 'lyon'})

    def test_claims_are_leased_and_reported(self):
        first, second = self._web_order(), self._web_order()
        self._pay(first)
        self._pay(second)
        claimed = self.SaleOrder.tiktok_claim_purchases(limit=1, lease_seconds=600, claimer='a')
        self.assertEqual([c['order_id'] for c in claimed], [first.id])  # oldest first, limit honoured
        claimed = self.SaleOrder.tiktok_claim_purchases(limit=10, lease_seconds=600, claimer='b')
        self.assertEqual([c['order_id'] for c in claimed], [second.id])  # a leased order is not claimed again
        self.assertEqual(self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='c'), [])
        # A replica that died: its lease expires and another one takes over, same event id.
        self._queued(first).lease_until = fields.Datetime.now() - timedelta(seconds=1)
        claimed = self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='c')
        self.assertEqual([(c['order_id'], c['event_id']) for c in claimed],
                         [(first.id, first._tiktok_purchase_event_id())])

        # Each replica settles what it holds: 'a' lost the first order to 'c', 'b' holds the second.
        self.assertEqual(self.SaleOrder.tiktok_mark_purchases(order_ids=[first.id, second.id], state='sent',
                                                              claimer='a'), 0)
        self.assertEqual(self._queued(first).state, 'claimed')
        self.assertEqual(self.SaleOrder.tiktok_mark_purchases(order_ids=[first.id, second.id], state='sent',
                                                              claimer='c'), 1)
        self.assertEqual(self.SaleOrder.tiktok_mark_purchases(order_ids=[second.id], state='sent', claimer='b'), 1)
        self.assertEqual(self.SaleOrder.tiktok_mark_purchases(order_ids=[first.id], state='sent', claimer='c'), 0)
        self.assertEqual(self.SaleOrder.tiktok_mark_purchases(order_ids=[first.id], state='failed', claimer='c'),
                         0)  # sent is final
        self.assertEqual(first.tiktok_purchase_state, 'sent')
        self.assertEqual(self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='c'), [])

    def test_a_claim_is_bounded_whatever_it_asks(self):
        orders = [self._web_order() for _ in range(3)]
        for order in orders:
            self._pay(order)
        with patch.object(tiktok_claim_queue, 'MAX_CLAIM', 2):
            claimed = self.SaleOrder.tiktok_claim_purchases(limit=10 ** 6, lease_seconds=0, claimer='a')
        self.assertEqual(len(claimed), 2)
        row = self._queued(orders[0])
        lease = (row.lease_until - fields.Datetime.now()).total_seconds()
        self.assertGreaterEqual(lease, tiktok_claim_queue.MIN_LEASE_SECONDS - 2)
        self.assertLessEqual(lease, tiktok_claim_queue.MIN_LEASE_SECONDS + 1)
        self.SaleOrder.tiktok_claim_purchases(limit=-5, lease_seconds=10 ** 12, claimer='b')
        row = self._queued(orders[2])
        self.assertEqual(row.claimed_by, 'b')  # a limit below one still claims one
        self.assertLessEqual((row.lease_until - fields.Datetime.now()).total_seconds(),
                             tiktok_claim_queue.MAX_LEASE_SECONDS)
        with self.assertRaises(UserError):
            self.SaleOrder.tiktok_claim_purchases(limit='all', claimer='a')

    def test_a_replica_settles_only_what_it_claimed(self):
        """The sidecar's key marks nothing it did not claim: no pending order, none another replica holds."""
        held, waiting = self._web_order(), self._web_order()
        self._pay(held)
        self._pay(waiting)
        [entry] = self.SaleOrder.tiktok_claim_purchases(limit=1, claimer='replica-a')
        self.assertEqual(entry['order_id'], held.id)  # the oldest first
        for state in ('sent', 'skipped', 'failed'):
            self.assertEqual(self.SaleOrder.tiktok_mark_purchases(
                order_ids=[waiting.id], state=state, claimer='replica-a'), 0)
            self.assertEqual(self.SaleOrder.tiktok_mark_purchases(
                order_ids=[held.id], state=state, claimer='replica-b'), 0)
        self.assertEqual((self._queued(waiting).state, self._queued(held).state), ('pending', 'claimed'))
        for claimer in ('', None, '   ', ['replica-a']):
            with self.assertRaises(UserError):
                self.SaleOrder.tiktok_mark_purchases(order_ids=[held.id], state='sent', claimer=claimer)
        # Refused, then sent again from its dead letter and delivered: the replica says so.
        self.assertEqual(self.SaleOrder.tiktok_mark_purchases(
            order_ids=[held.id], state='failed', claimer='replica-a'), 1)
        self.assertEqual(self.SaleOrder.tiktok_mark_purchases(
            order_ids=[held.id], state='sent', claimer='replica-a'), 1)
        self.assertEqual(held.tiktok_purchase_state, 'sent')

    def test_the_purchase_sends_what_the_buyer_checked_out(self):
        """Between the checkout and its confirmation in the back office a salesman
        may edit the quotation: the Purchase keeps the buyer's lines and total."""
        self.set_params(purchase_without_payment='True')
        order = self._web_order()
        checked = (order.name, order.amount_total)
        salesman = new_test_user(self.env, 'tt_salesman_freeze', groups='sales_team.group_sale_salesman_all_leads')
        as_salesman = order.with_user(salesman)
        as_salesman.order_line.filtered(lambda line: not line.is_delivery).write(
            {'price_unit': 9999999.0, 'product_uom_qty': 50})
        as_salesman.write({'order_line': [(0, 0, {'product_id': self.shipping.id, 'name': 'Extra', 'price_unit': 1e6})],
                           'name': 'FORGED-REF'})
        as_salesman.action_confirm()
        self.assertGreater(order.amount_total, 1e8)
        [entry] = self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a')
        self.assertEqual((entry['order_name'], entry['value']), checked)
        self.assertEqual(entry['contents'], [{'content_id': str(self.desk.id), 'content_type': 'product',
                                              'content_name': 'Hand-off Desk', 'price': 675.0, 'quantity': 2.0}])
        # A salesman cannot rewrite what was checked out.
        checkout = order.sudo().tiktok_checkout_ids
        with self.assertRaises(AccessError):
            checkout.with_user(salesman).write({'amount': 1.0})
        self.assertEqual(checkout.currency_id, order.currency_id)

    def test_only_the_sidecar_and_admins_may_claim(self):
        with self.assertRaises(AccessError):
            self.env['sale.order'].with_user(self.internal_user).tiktok_claim_purchases()
        with self.assertRaises(AccessError):
            self.env['sale.order'].with_user(self.internal_user).tiktok_mark_purchases(order_ids=[1], state='sent')
        self.assertEqual(self.env['sale.order'].with_user(self.env.ref('base.user_admin')).tiktok_claim_purchases(
            claimer='admin-console'), [])
        salesman = new_test_user(self.env, 'tt_salesman_po', groups='sales_team.group_sale_salesman_all_leads')
        order = self._web_order()
        order._tiktok_store_buyer_context('granted', ip='203.0.113.7')
        self.assertEqual(order.with_user(salesman).read(['name'])[0]['name'], order.name)
        with self.assertRaises(AccessError):  # the buyer's browser context is for the sidecar only
            order.with_user(salesman).read(['tiktok_client_ip'])

    # ------------------------------------------------------------------
    # Integrity: nobody but the module and the sidecar moves a Purchase
    # ------------------------------------------------------------------

    def test_event_ids_are_signed_not_sequential(self):
        first, second = self._web_order(), self._web_order()
        first_id, second_id = first._tiktok_purchase_event_id(), second._tiktok_purchase_event_id()
        for order, event_id in ((first, first_id), (second, second_id)):
            self.assertRegex(event_id, r'^purchase-[0-9a-f]{32}$')
        self.assertNotEqual(first_id, second_id)
        self.assertEqual(first._tiktok_purchase_event_id(), first_id)  # deterministic
        # Anybody who knows the order number but not the database secret gets another id.
        params = self.env['ir.config_parameter'].sudo()
        params.set_param('database.secret', 'another-secret')
        self.assertNotEqual(first._tiktok_purchase_event_id(), first_id)

    def test_queued_id_survives_a_new_secret(self):
        order = self._web_order()
        self._pay(order)
        queued_id = order._tiktok_purchase_event_id()
        self.env['ir.config_parameter'].sudo().set_param('database.secret', 'rotated')
        self.assertEqual(order._tiktok_purchase_event_id(), queued_id)
        self.assertEqual(order._tiktok_purchase_data()['event_id'], queued_id)

    def test_claim_checks_the_order_again(self):
        cancelled, reset, denied, paid = (self._web_order() for _ in range(4))
        for order in (cancelled, reset, denied, paid):
            order._tiktok_store_buyer_context('not_required')
            self._pay(order)
            self.assertEqual(order.tiktok_purchase_state, 'pending')
        cancelled._action_cancel()
        reset.write({'state': 'draft'})
        self.website.cookies_bar = True
        denied._tiktok_store_buyer_context('denied')
        paid._tiktok_store_buyer_context('granted')
        claimed = self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a')
        self.assertEqual([c['order_id'] for c in claimed], [paid.id])
        reasons = {order: self._queued(order).skip_reason for order in (cancelled, reset, denied)}
        self.assertEqual(reasons, {cancelled: 'cancelled', reset: 'not_confirmed', denied: 'no_consent'})
        self.assertEqual(self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a'), [])

    def test_opt_in_is_checked_again_at_claim_time(self):
        self.set_params(purchase_without_payment='True')
        order = self._web_order()
        order.action_confirm()
        self.assertEqual(order.tiktok_purchase_state, 'pending')
        self.set_params(purchase_without_payment='False')
        self.assertEqual(self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a'), [])
        self.assertEqual(self._queued(order).skip_reason, 'not_paid')

    def test_salesman_cannot_arm_or_rearm_a_purchase(self):
        salesman = new_test_user(self.env, 'tt_salesman_arm', groups='sales_team.group_sale_salesman_all_leads')
        quotation = self._web_order().with_user(salesman)
        fields_tiktok = [name for name in self.env['sale.order']._fields if name.startswith('tiktok')]
        self.assertIn('tiktok_purchase_state', fields_tiktok)
        values = {
            'tiktok_purchase_state': 'pending', 'tiktok_consent': 'granted', 'tiktok_client_ip': '203.0.113.9',
            'tiktok_user_agent': 'Forged', 'tiktok_ttclid': 'forged', 'tiktok_ttp': 'forged',
            'tiktok_confirmation_shown_at': '2026-01-01 00:00:00', 'tiktok_gpc': True,
            'tiktok_checkout_ids': [(0, 0, {'partner_id': self.buyer.id, 'website_id': self.website.id})],
        }
        self.assertEqual(set(values), set(fields_tiktok))  # every field of the module is tried
        attempts = [{name: values[name]} for name in values] + [values]
        for attempt in attempts:
            try:
                quotation.write(attempt)
            except AccessError:
                pass
        self.assertFalse(quotation.sudo().tiktok_confirmation_shown_at)
        with self.assertRaises(AccessError):
            self.env['tiktok.server.event'].with_user(salesman).create({
                'sale_order_id': quotation.id, 'website_id': self.website.id, 'event_id': 'forged'})
        with self.assertRaises(AccessError):
            self.env['tiktok.server.event'].with_user(salesman).search([])
        with self.assertRaises(AccessError):
            quotation.tiktok_claim_purchases()
        self.assertEqual(self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a'), [])
        self.assertFalse(self._queued(quotation))

        sold = self._web_order()
        self._pay(sold)
        self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a')
        self.SaleOrder.tiktok_mark_purchases(order_ids=[sold.id], state='sent', claimer='a')
        with self.assertRaises(AccessError):
            sold.with_user(salesman).action_tiktok_send_purchase_again()
        with self.assertRaises(AccessError):
            sold.with_user(salesman).tiktok_mark_purchases(order_ids=[sold.id], state='skipped', claimer='a')
        try:
            sold.with_user(salesman).write({'tiktok_purchase_state': 'pending'})
        except AccessError:
            pass
        self.assertEqual(self._queued(sold).state, 'sent')
        self.assertEqual(self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a'), [])

    def test_a_back_office_order_is_never_a_web_purchase_whatever_its_fields(self):
        """With the opt-in on and no cookie bar, a salesman's order with website_id set,
        confirmed or paid through its portal link, is no web Purchase."""
        self.set_params(purchase_without_payment='True')
        salesman = new_test_user(self.env, 'tt_salesman_backoffice', groups='sales_team.group_sale_salesman_all_leads')
        order = self.env['sale.order'].with_user(salesman).create({
            'partner_id': self.buyer.id, 'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': self.desk.id, 'product_uom_qty': 17035, 'price_unit': 675.0})],
        })
        for forge in (
            lambda: order.write({'tiktok_checkout_ids': [(0, 0, {'partner_id': self.buyer.id,
                                                                 'website_id': self.website.id})]}),
            lambda: self.env['tiktok.web.checkout'].with_user(salesman).create(
                {'sale_order_id': order.id, 'partner_id': self.buyer.id, 'website_id': self.website.id}),
        ):
            with self.assertRaises(AccessError):
                forge()
        order.action_confirm()
        self.assertEqual(order.sudo()._tiktok_purchase_problem(), 'not_checked_out')
        self.assertFalse(self._queued(order))
        paid = self.env['sale.order'].with_user(salesman).create({
            'partner_id': self.buyer.id, 'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': self.desk.id, 'product_uom_qty': 1, 'price_unit': 675.0})],
        })
        self._pay(paid.sudo())
        self.assertEqual(paid.state, 'sale')
        self.assertFalse(self._queued(paid))
        self.assertEqual(self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a'), [])
        backfill = self.SaleOrder.tiktok_backfill_purchases(max_age_seconds=3600)
        self.assertNotIn(order.id, [entry['order_id'] for entry in backfill['orders']])
        self.assertNotIn(paid.id, [entry['order_id'] for entry in backfill['orders']])

    def test_a_checkout_given_another_buyer_or_website_is_no_longer_that_buyers_purchase(self):
        other_website = self.env['website'].create({'name': 'Other shop'})
        someone_else = self.env['res.partner'].create({'name': 'Someone else', 'email': 'else@example.com'})
        for change in ({'partner_id': someone_else.id}, {'website_id': other_website.id}):
            order = self._web_order()
            self._pay(order)
            self.assertEqual(self._queued(order).state, 'pending')
            order.write(change)
            self.assertEqual(self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a'), [])
            self.assertEqual((self._queued(order).state, self._queued(order).skip_reason),
                             ('skipped', 'not_checked_out'))

    def test_an_order_cancelled_before_its_claim_is_never_sent(self):
        self.set_params(purchase_without_payment='True')
        order = self._web_order()
        order.action_confirm()
        self.assertEqual(self._queued(order).state, 'pending')
        order._action_cancel()
        self.assertEqual(self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a'), [])
        self.assertEqual((self._queued(order).state, self._queued(order).skip_reason), ('skipped', 'cancelled'))

    def test_administrator_sends_again_with_a_trace(self):
        order = self._web_order()
        self._pay(order)
        event_id = order._tiktok_purchase_event_id()
        self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a')
        self.SaleOrder.tiktok_mark_purchases(order_ids=[order.id], state='sent', claimer='a')
        admin = self.env.ref('base.user_admin')
        messages_before = len(order.message_ids)
        order.with_user(admin).action_tiktok_send_purchase_again()
        self.assertEqual(order.tiktok_purchase_state, 'pending')
        self.assertEqual(len(order.message_ids), messages_before + 1)
        self.assertIn('TikTok Purchase queued again', order.message_ids[0].body)
        claimed = self.SaleOrder.tiktok_claim_purchases(limit=10, claimer='a')
        self.assertEqual([c['event_id'] for c in claimed], [event_id])
