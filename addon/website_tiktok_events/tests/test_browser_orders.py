import json

from odoo.tests import HttpCase, tagged

from odoo.addons.payment.tests.common import PaymentCommon
from .common import TikTokCase, checked_out, paid
from .test_page_injection import config_blob


class BrowserOrderCase(PaymentCommon, TikTokCase):
    """Web orders as a shop has them: paid by card, waiting for a wire transfer,
    in the shop's currency or in a pricelist's other one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls.env['res.partner'].create({'name': 'Browser Buyer', 'email': 'buyer@browser.example'})
        cls.desk = cls.env['product.product'].create({
            'name': 'Browser Desk', 'list_price': 83.18, 'is_published': True,
        })
        company_currency = cls.env.company.currency_id
        cls.other_currency = cls.env['res.currency'].with_context(active_test=False).search(
            [('name', 'in', ('EUR', 'USD')), ('id', '!=', company_currency.id)], limit=1)
        cls.other_currency.active = True
        cls.other_pricelist = cls.env['product.pricelist'].create({
            'name': 'Browser other currency', 'currency_id': cls.other_currency.id,
        })

    def _web_order(self, price_unit=675.0, **values):
        """An order the website's checkout took (as its payment step records it)."""
        return checked_out(self.env['sale.order'].create({
            'partner_id': self.buyer.id,
            'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': self.desk.id, 'product_uom_qty': 2, 'price_unit': price_unit})],
            **values,
        }))

    def _transaction(self, order, state):
        return paid(self, order, state, prefix='TTB')

    def _paid(self, **values):
        order = self._web_order(**values)
        self._transaction(order, 'done')
        self.assertEqual(order.state, 'sale')
        return order

    def _waiting_for_wire_transfer(self):
        order = self._web_order()
        self._transaction(order, 'pending')
        self.assertNotEqual(order.state, 'sale')
        return order

    def _browser_purchase(self, order):
        return json.loads(self.website._tiktok_page_config(purchase_order=order)['config_json']).get('purchase')

    def _queued(self, order):
        return self.env['tiktok.server.event'].sudo().search([('sale_order_id', '=', order.id)])

    def _settle(self, order, state):
        """The sidecar's round: claim what is due, report the order's outcome."""
        queue = self.env['tiktok.server.event'].sudo()
        queue._claim(limit=100, lease_seconds=60, claimer='browser-test')
        self.assertEqual(queue._report([order.id], state, 'browser-test'), 1)


@tagged('post_install', '-at_install')
class TestBrowserPurchase(BrowserOrderCase):
    """The confirmation page carries a browser Purchase only for an order whose
    Purchase the server sends, by the server's own rules."""

    def test_paid_order_carries_the_purchase_the_server_sends(self):
        order = self._paid()
        purchase = self._browser_purchase(order)
        self.assertEqual(purchase['event_id'], self._queued(order).event_id)
        self.assertEqual(purchase['value'], order.amount_total)
        # still there once the sidecar sent it (a reload of the page)
        self._settle(order, 'sent')
        self.assertEqual(self._browser_purchase(order)['event_id'], self._queued(order).event_id)

    def test_unpaid_wire_transfer_carries_no_purchase_without_the_opt_in(self):
        order = self._waiting_for_wire_transfer()
        self.assertFalse(self._queued(order))
        self.assertIsNone(self._browser_purchase(order))
        # confirmed in the back office without payment: still not a Purchase the server sends
        order.action_confirm()
        self.assertIsNone(self._browser_purchase(order))

    def test_opt_in_for_orders_without_payment_carries_the_purchase_once_confirmed(self):
        self.set_params(purchase_without_payment='True')
        order = self._web_order()
        order.action_confirm()
        self.assertEqual(self._browser_purchase(order)['event_id'], self._queued(order).event_id)

    def test_orders_the_server_will_not_send_carry_no_purchase(self):
        cancelled = self._paid()
        cancelled._action_cancel()
        refused = self._paid()
        self.website.cookies_bar = True
        refused._tiktok_store_buyer_context('denied')
        staff = self._paid(partner_id=self.env.ref('base.partner_admin').id)
        self.website.cookies_bar = False
        refused_later = self._paid()
        self._settle(refused_later, 'failed')
        for order in (cancelled, refused, staff, refused_later):
            with self.subTest(order=order.name):
                self.assertIsNone(self._browser_purchase(order))

    def test_order_of_another_website_carries_no_purchase(self):
        other = self.env['website'].create({'name': 'Other shop'})
        order = self._paid(website_id=other.id)
        self.assertIsNone(self._browser_purchase(order))


@tagged('post_install', '-at_install')
class TestCheckoutOrder(BrowserOrderCase):
    """The checkout's browser events read the order as it is on their page."""

    def _checkout_order(self, order):
        return json.loads(self.website._tiktok_page_config(cart_order=order)['config_json']).get('order')

    def test_cart_in_the_currency_of_its_pricelist(self):
        cart = self._web_order(price_unit=83.18, pricelist_id=self.other_pricelist.id)
        self.assertEqual(cart.currency_id, self.other_currency)
        order = self._checkout_order(cart)
        self.assertEqual(order['currency'], self.other_currency.name)
        self.assertEqual(order['value'], cart.amount_total)
        self.assertEqual(order['contents'], [{
            'content_id': str(self.desk.id), 'content_type': 'product', 'content_name': 'Browser Desk',
            'price': cart.order_line.price_reduce_taxexcl, 'quantity': 2.0,
        }])

    def test_only_a_cart_of_this_website(self):
        self.assertIsNone(self._checkout_order(self._paid()))
        other = self.env['website'].create({'name': 'Other shop'})
        self.assertIsNone(self._checkout_order(self._web_order(website_id=other.id)))
        self.assertIsNone(self._checkout_order(self.env['sale.order']))


@tagged('post_install', '-at_install')
class TestContentPrices(BrowserOrderCase):
    """A content's price in its currency's decimals, wherever contents are built."""

    def test_purchase_and_cart_prices_have_no_float_noise(self):
        self.set_params(purchase_without_payment='True')
        noisy = 83.18 * 1.08  # 89.83440000000002: a unit price a pricelist in another currency makes
        order = self._web_order(price_unit=noisy)
        order.action_confirm()
        expected = order.currency_id.round(noisy)
        self.assertNotEqual(repr(noisy), repr(expected))
        self.assertEqual(repr(self._browser_purchase(order)['contents'][0]['price']), repr(expected))
        [claimed] = self.env['sale.order'].tiktok_claim_purchases(limit=10, claimer='browser')
        self.assertEqual(repr(claimed['contents'][0]['price']), repr(expected))

    def test_a_currency_without_decimals(self):
        yen = self.env['res.currency'].with_context(active_test=False).search([('name', '=', 'JPY')])
        yen.active = True
        pricelist = self.env['product.pricelist'].create({'name': 'Yen', 'currency_id': yen.id})
        self.set_params(purchase_without_payment='True')
        order = self._web_order(price_unit=1234.56, pricelist_id=pricelist.id)
        order.action_confirm()
        self.assertEqual(self._browser_purchase(order)['contents'][0]['price'], 1235.0)
        checkout = self._web_order(price_unit=1234.56, pricelist_id=pricelist.id)
        blob = json.loads(self.website._tiktok_page_config(cart_order=checkout)['config_json'])
        line = checkout.order_line
        self.assertEqual(blob['order']['contents'][0]['price'], checkout.currency_id.round(line.price_reduce_taxexcl))


@tagged('post_install', '-at_install')
class TestConfirmationPage(HttpCase, BrowserOrderCase):
    """The confirmation page as the buyer gets it."""

    def _confirmation(self, order):
        self.authenticate(None, None, session_extra={'sale_last_order_id': order.id})
        response = self.url_open('/shop/confirmation')
        self.assertEqual(response.status_code, 200)
        return config_blob(response.text)

    def test_wire_transfer_waiting_for_payment_fires_no_purchase(self):
        order = self._waiting_for_wire_transfer()
        self.assertNotIn('purchase', self._confirmation(order))
        order.invalidate_recordset()
        self.assertFalse(order.sudo().tiktok_confirmation_shown_at)

    def test_paid_order_fires_the_purchase_the_server_sends(self):
        order = self._paid()
        self.assertEqual(self._confirmation(order)['purchase']['event_id'], self._queued(order).event_id)
        order.invalidate_recordset()
        self.assertTrue(order.sudo().tiktok_confirmation_shown_at)
