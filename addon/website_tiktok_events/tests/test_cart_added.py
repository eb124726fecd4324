from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.website_tiktok_events.controllers.cart import tiktok_added
from .common import TikTokCase
from .test_page_injection import config_blob


@tagged('post_install', '-at_install')
class TestCartAdded(HttpCase, TikTokCase):
    """`tiktok_added` in `/shop/cart/add`'s answer (docs/CONTRACTS.md §9)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        office = cls.env['product.public.category'].create({'name': 'Office'})
        cls.desk, cls.lamp = cls.env['product.product'].create([{
            'name': 'Cart Standing Desk',
            'default_code': 'DESK-9',
            'list_price': 675.0,
            'taxes_id': [Command.clear()],
            'is_published': True,
            'public_categ_ids': [Command.set(office.ids)],
        }, {
            'name': 'Cart Desk Lamp',
            'list_price': 40.0,
            'taxes_id': [Command.clear()],
            'is_published': True,
        }])

    def _add(self, product, quantity):
        return self.make_jsonrpc_request('/shop/cart/add', {
            'product_template_id': product.product_tmpl_id.id,
            'product_id': product.id,
            'quantity': quantity,
        })

    def test_reports_the_quantity_added_not_the_line_total(self):
        first = self._add(self.desk, 2)
        second = self._add(self.desk, 3)
        # Odoo's own tracking (Google Analytics) says the line's total, and stays as it was.
        self.assertEqual([first['tracking_info'][0]['quantity'], second['tracking_info'][0]['quantity']], [2, 5])
        self.assertEqual(
            [first['tiktok_added']['contents'][0]['quantity'], second['tiktok_added']['contents'][0]['quantity']],
            [2, 3])
        desk = {
            'content_id': str(self.desk.id),
            'content_type': 'product',
            # the name Odoo's tracking shows: no internal reference
            'content_name': 'Cart Standing Desk',
            'content_category': 'Office',
            # the unit price the shopper pays (the website's pricelist applied), Odoo's tracking price
            'price': second['tracking_info'][0]['price'],
        }
        self.assertEqual(second['tiktok_added'], {
            'currency': second['tracking_info'][0]['currency'],
            'contents': [{**desk, 'quantity': 3}],
            'cart': [{**desk, 'quantity': 5}],
        })
        self.assertGreater(desk['price'], 0)

    def test_the_purchase_names_products_as_the_add_to_cart_did(self):
        added = self._add(self.desk, 1)['tiktok_added']['contents'][0]
        order = self.env['sale.order'].create({
            'partner_id': self.env.ref('base.res_partner_2').id,
            'website_id': self.website.id,
            'order_line': [Command.create({'product_id': self.desk.id, 'product_uom_qty': 1})],
        })
        self.assertIn('[DESK-9]', order.order_line.name)  # the line itself keeps Odoo's reference
        purchase = order._tiktok_purchase_data()['contents'][0]
        self.assertEqual((purchase['content_id'], purchase['content_name']),
                         (added['content_id'], added['content_name']))
        self.assertEqual(purchase['content_name'], 'Cart Standing Desk')

    def test_internal_references_as_content_ids_on_every_side(self):
        self.website.tiktok_content_id_source = 'default_code'
        self._add(self.desk, 1)
        answer = self._add(self.lamp, 1)['tiktok_added']
        # the lamp has no internal reference: it keeps its id
        self.assertEqual([c['content_id'] for c in answer['cart']], ['DESK-9', str(self.lamp.id)])
        order = self.env['sale.order'].create({
            'partner_id': self.env.ref('base.res_partner_2').id,
            'website_id': self.website.id,
            'order_line': [Command.create({'product_id': self.desk.id, 'product_uom_qty': 1}),
                           Command.create({'product_id': self.lamp.id, 'product_uom_qty': 1})],
        })
        self.assertEqual([c['content_id'] for c in order._tiktok_purchase_data()['contents']],
                         ['DESK-9', str(self.lamp.id)])
        self.assertEqual(config_blob(self.url_open('/shop/cart').text)['content_ids'], {str(self.desk.id): 'DESK-9'})

    def test_the_cart_after_the_add_lists_every_line(self):
        desk_price = self._add(self.desk, 1)['tracking_info'][0]['price']
        answer = self._add(self.lamp, 2)
        lamp_price = answer['tracking_info'][0]['price']
        self.assertEqual([(c['content_id'], c['quantity'], c['price']) for c in answer['tiktok_added']['contents']],
                         [(str(self.lamp.id), 2, lamp_price)])
        self.assertEqual([(c['content_id'], c['quantity'], c['price']) for c in answer['tiktok_added']['cart']],
                         [(str(self.desk.id), 1, desk_price), (str(self.lamp.id), 2, lamp_price)])
        # no website category: the key is left out, not null
        self.assertNotIn('content_category', answer['tiktok_added']['contents'][0])

    def test_nothing_added_without_tracking(self):
        self.website.tiktok_enabled = 'off'
        answer = self._add(self.desk, 1)
        self.assertTrue(answer['quantity'])
        self.assertNotIn('tiktok_added', answer)

    def test_the_cart_leaves_delivery_and_notes_out(self):
        shipping = self.env['product.product'].create({'name': 'Cart Shipping', 'type': 'service'})
        order = self.env['sale.order'].create({
            'partner_id': self.env.ref('base.res_partner_2').id,
            'website_id': self.website.id,
            'order_line': [
                Command.create({'product_id': self.desk.id, 'product_uom_qty': 2}),
                Command.create({'display_type': 'line_note', 'name': 'Gift wrap, please'}),
                Command.create({'product_id': shipping.id, 'price_unit': 10.0, 'is_delivery': True}),
            ],
        })
        desk_line = order.order_line.filtered(lambda line: line.product_id == self.desk)
        added = tiktok_added(order, {desk_line.id: 2})
        self.assertEqual([(c['content_id'], c['quantity']) for c in added['cart']], [(str(self.desk.id), 2)])
        self.assertIsNone(tiktok_added(order, {}))
