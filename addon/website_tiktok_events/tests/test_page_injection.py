import json
import unittest

from lxml import html

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.website_tiktok_events.tools import hashing
from .test_hashing import SKIP_WITHOUT_VECTORS, VECTORS
from .common import GLOBAL_PIXEL, GLOBAL_TOKEN, WEBSITE_TOKEN, TikTokCase, checked_out

BLOB_KEYS = {'pixel_id', 'website_id', 'relay_url', 'page_event_id', 'currency', 'phone_country', 'debug',
             'consent_required', 'event_names', 'match_keys', 'gpc'}


def config_blob(page_html):
    nodes = html.fromstring(page_html).xpath('//head/script[@id="tiktok-events-config"]')
    return json.loads(nodes[0].text) if nodes else None


@tagged('post_install', '-at_install')
class TestPageInjection(HttpCase, TikTokCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.website.tiktok_access_token = WEBSITE_TOKEN
        if not cls.website.company_id.country_id:  # a shop has an address; phone_country comes from it
            cls.website.company_id.country_id = cls.env.ref('base.be')
        cls.product = cls.env['product.template'].create({
            'name': 'TikTok Test Desk', 'list_price': 675.0, 'is_published': True,
            'website_id': cls.website.id,
            'public_categ_ids': [(0, 0, {'name': 'Office'})],
        })

    def _get(self, path):
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200, path)
        return response.text

    def test_base_code_and_blob_on_public_pages(self):
        page = self._get('/')
        self.assertIn('var pixel = "%s";' % GLOBAL_PIXEL, page)
        self.assertIn('ttq.load(pixel);', page)
        self.assertIn('https://analytics.tiktok.com/i18n/pixel/events.js', page)
        # The browser PageView: on our pixel only, with the page's event id.
        self.assertIn('ours.track("Pageview", {}, { event_id: cfg.page_event_id, pixel_code: pixel });', page)
        self.assertNotIn('ttq.page(', page)
        # Its server copy leaves from <head>; the XML-escaped operators render as JavaScript,
        # the XML comments that explain the code are not rendered.
        self.assertIn(
            'if (consent && w.fetch) w.__tiktokHeadRelay = { id: pageView.event_id, done: send(batch) };', page)
        self.assertIn('keepalive: true, credentials: "omit"', page)
        self.assertNotIn('sendBeacon', page)  # it would carry the shop's cookies to the relay
        self.assertNotIn('QWeb does not render them', page)
        blob = config_blob(page)
        self.assertEqual(set(blob), BLOB_KEYS)
        # a visitor's national number is read in the shop's country
        self.assertEqual(blob['phone_country'], self.website.company_id.country_id.code)
        self.assertEqual(blob['pixel_id'], GLOBAL_PIXEL)
        self.assertEqual(blob['website_id'], self.website.id)
        self.assertEqual(blob['relay_url'], '/tiktok/relay')
        self.assertEqual(blob['currency'], self.website.currency_id.name)
        self.assertFalse(blob['consent_required'])
        self.assertTrue(blob['page_event_id'].startswith('pv-'))

    def test_token_never_rendered(self):
        for path in ('/', '/shop', self.product.website_url, '/contactus'):
            page = self._get(path)
            self.assertIn('id="tiktok-events-config"', page, path)
            self.assertNotIn(GLOBAL_TOKEN, page, path)
            self.assertNotIn(WEBSITE_TOKEN, page, path)

    def _combination_info(self):
        response = self.url_open(
            '/website_sale/get_combination_info',
            data=json.dumps({'params': {'product_template_id': self.product.id, 'product_id': False,
                                        'combination': [], 'add_qty': 1}}),
            headers={'Content-Type': 'application/json'})
        return response.json()['result']

    def test_product_page_blob(self):
        blob = config_blob(self._get(self.product.website_url))
        self.assertEqual(set(blob), BLOB_KEYS | {'product'})
        # The price shown to this visitor (pricelist applied), as the variant selector gets it.
        shown_price = self._combination_info()['price']
        self.assertEqual(blob['product'], {
            'content_id': str(self.product.product_variant_id.id),
            'content_name': 'TikTok Test Desk',
            'content_category': 'Office',
            'price': shown_price,
            'currency': self.website.currency_id.name,
        })
        self.assertNotIn('product', config_blob(self._get('/shop')))

    def test_internal_references_as_content_ids(self):
        self.product.default_code = ' DESK-REF '
        blob = config_blob(self._get(self.product.website_url))
        self.assertEqual(blob['product']['content_id'], str(self.product.product_variant_id.id))
        self.assertNotIn('content_ids', blob)  # product ids: nothing to map
        self.website.tiktok_content_id_source = 'default_code'
        blob = config_blob(self._get(self.product.website_url))
        self.assertEqual(blob['product']['content_id'], 'DESK-REF')
        self.assertEqual(blob['content_ids'], {str(self.product.product_variant_id.id): 'DESK-REF'})
        # the shop grid maps the variant each card's buttons name
        grid = config_blob(self._get('/shop?search=TikTok+Test+Desk'))
        self.assertEqual(grid['content_ids'].get(str(self.product.product_variant_id.id)), 'DESK-REF')

    def test_cached_pages_get_a_fresh_page_event_id(self):
        first = config_blob(self._get('/'))['page_event_id']
        second = config_blob(self._get('/'))['page_event_id']
        self.assertRegex(second, r'^pv-[0-9a-f-]{36}$')
        self.assertNotEqual(first, second)

    def test_variant_change_payload_without_google_analytics(self):
        self.website.google_analytics_key = False
        info = self._combination_info()
        self.assertEqual(info['product_tracking_info']['item_id'], self.product.product_variant_id.id)
        self.assertEqual(info['product_tracking_info']['price'], 675.0)
        self.website.tiktok_enabled = 'off'
        self.assertNotIn('product_tracking_info', self._combination_info())

    def test_consent_mode_follows_the_cookie_bar(self):
        self.website.cookies_bar = True
        page = self._get('/')
        self.assertTrue(config_blob(page)['consent_required'])
        self.assertIn('var consentRequired = true;', page)
        self.assertLess(page.index('ttq.holdConsent()'), page.index('ttq.load('))

    def test_disabled_or_misconfigured_renders_a_comment_only(self):
        self.website.tiktok_enabled = 'off'
        page = self._get('/')
        self.assertIn('<!-- TikTok pixel disabled: disabled in settings -->', page)
        self.assertNotIn('ttq.load', page)
        self.assertIsNone(config_blob(page))
        self.website.tiktok_enabled = 'on'
        self.set_params(pixel_id=False)
        page = self._get('/')
        self.assertIn('<!-- TikTok pixel disabled: no pixel id configured -->', page)
        self.assertNotIn('ttq.load', page)
        self.assertNotIn('console.warn', page)
        self.website.tiktok_debug = 'on'  # debug mode also says it in the browser console
        self.assertIn('console.warn("TikTok pixel disabled: no pixel id configured");', self._get('/'))

    def test_editor_mode_is_clean(self):
        # Website designers render pages in editable mode (the website builder).
        self.authenticate('admin', 'admin')
        for path in ('/', self.product.website_url):
            page = self._get(path)
            self.assertNotIn('ttq', page, path)
            self.assertIsNone(config_blob(page), path)
            self.assertNotIn('TikTok pixel disabled', page, path)

    def test_confirmation_page_carries_the_purchase(self):
        # an order whose Purchase the server sends (tests/test_browser_orders.py: which ones)
        self.set_params(purchase_without_payment='True')
        product = self.product.product_variant_id
        order = self.env['sale.order'].create({
            'partner_id': self.env.ref('base.res_partner_2').id,
            'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 2, 'price_unit': 675.0})],
        })
        checked_out(order).action_confirm()
        self.authenticate(None, None, session_extra={'sale_last_order_id': order.id})
        blob = config_blob(self._get('/shop/confirmation'))
        self.assertEqual(blob['purchase']['event_id'], order._tiktok_purchase_event_id())
        self.assertRegex(blob['purchase']['event_id'], r'^purchase-[0-9a-f]{32}$')
        self.assertEqual(blob['purchase']['order_id'], order.name)
        self.assertEqual(blob['purchase']['value'], order.amount_total)
        self.assertEqual(blob['purchase']['contents'], [{
            'content_id': str(product.id), 'content_type': 'product', 'content_name': 'TikTok Test Desk',
            'price': 675.0, 'quantity': 2.0,
        }])
        self.assertNotIn('purchase', config_blob(self._get('/shop')))

    def test_confirmation_page_notes_that_the_browser_copy_was_shown(self):
        """The dashboard's "paired": the buyer opened the page that fires the browser Purchase, with consent."""
        self.set_params(purchase_without_payment='True')
        product = self.product.product_variant_id
        orders = self.env['sale.order'].create([{
            'partner_id': self.env.ref('base.res_partner_2').id,
            'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1})],
        } for _ in range(2)])
        for order in orders:
            checked_out(order)
        orders.action_confirm()
        consented, refused = orders
        self.website.cookies_bar = True
        consented._tiktok_store_buyer_context('granted')
        refused._tiktok_store_buyer_context('denied')
        self.authenticate(None, None, session_extra={'sale_last_order_id': consented.id})
        self.assertIn('purchase', config_blob(self._get('/shop/confirmation')))
        # no consent: the server does not send it, the page does not fire it
        self.authenticate(None, None, session_extra={'sale_last_order_id': refused.id})
        self.assertNotIn('purchase', config_blob(self._get('/shop/confirmation')))
        self.assertTrue(consented.tiktok_confirmation_shown_at)
        self.assertFalse(refused.tiktok_confirmation_shown_at)
        # The first time counts; a reload does not move it.
        first = consented.tiktok_confirmation_shown_at
        self.authenticate(None, None, session_extra={'sale_last_order_id': consented.id})
        self._get('/shop/confirmation')
        consented.invalidate_recordset()
        self.assertEqual(consented.tiktok_confirmation_shown_at, first)
        # No pixel on the page, nothing shown.
        self.website.cookies_bar = False
        self.website.tiktok_enabled = 'off'
        late = orders[0].copy()
        late.action_confirm()
        self.authenticate(None, None, session_extra={'sale_last_order_id': late.id})
        self._get('/shop/confirmation')
        self.assertFalse(late.tiktok_confirmation_shown_at)

    def test_payment_step_records_the_buyer_context(self):
        portal = self.env.ref('base.demo_user0')  # demo customer with a complete address
        order = self.env['sale.order'].create({
            'partner_id': portal.partner_id.id,
            'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': self.product.product_variant_id.id, 'product_uom_qty': 1})],
        })
        self.authenticate(portal.login, portal.login, session_extra={'sale_order_id': order.id})
        self.opener.cookies.set('ttclid', 'E.C.P.landing')
        self.opener.cookies.set('_ttp', 'ttp-cookie')
        response = self.url_open('/shop/payment', headers={'User-Agent': 'TikTokTest/1.0'})
        self.assertEqual(response.status_code, 200)
        self.assertIn('/shop/payment', response.url)  # not redirected to an earlier step
        order.invalidate_recordset()
        self.assertEqual(order.tiktok_consent, 'not_required')
        self.assertEqual(order.tiktok_client_ip, '127.0.0.1')
        self.assertEqual(order.tiktok_user_agent, 'TikTokTest/1.0')
        self.assertEqual((order.tiktok_ttclid, order.tiktok_ttp), ('E.C.P.landing', 'ttp-cookie'))
        # ... and that a buyer checked this order out on the website.
        checkout = self.env['tiktok.web.checkout'].search([('sale_order_id', '=', order.id)])
        self.assertEqual((checkout.partner_id, checkout.website_id, checkout.origin),
                         (portal.partner_id, self.website, 'checkout'))
        self.assertTrue(order._tiktok_checked_out_on_website())

    def test_only_the_sessions_own_cart_is_recorded_as_a_web_checkout(self):
        """The payment routes take any order whose access token the caller holds (a quotation's
        portal link, known to the salesman who made it): only the session's cart is a checkout."""
        from odoo.addons.website_sale.tests.common import MockRequest
        from ..controllers.main import store_buyer_context
        partner = self.env.ref('base.res_partner_2')
        cart, quotation = self.env['sale.order'].create([{
            'partner_id': partner.id, 'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': self.product.product_variant_id.id, 'product_uom_qty': 1})],
        } for _ in range(2)])
        guest = self.env(user=self.env.ref('base.public_user'))
        with MockRequest(guest, website=self.website.with_env(guest), sale_order_id=cart.id) as request:
            request.httprequest.remote_addr = '203.0.113.5'
            request.httprequest.headers = {'User-Agent': 'TikTokTest/1.0'}
            request.httprequest.cookies = {}
            store_buyer_context(quotation)
            store_buyer_context(cart)
        self.assertFalse(quotation.sudo().tiktok_checkout_ids)
        self.assertFalse(quotation.sudo().tiktok_consent)
        self.assertEqual(cart.sudo().tiktok_checkout_ids.partner_id, partner)

    def test_identify_for_a_logged_in_customer(self):
        user = new_test_user(self.env, 'tt_buyer', groups='base.group_portal',
                             email='Buyer.One@Example.com')
        # Italian numbers keep their 0 (the phone plan is the partner's country's)
        user.partner_id.write({'phone': '06 1234 5678', 'country_id': self.env.ref('base.it').id})
        self.authenticate('tt_buyer', 'tt_buyer')
        page = self._get('/')
        self.assertEqual(config_blob(page)['identify'], {
            'email': hashing.sha256_hex('buyer.one@example.com'),
            'phone_number': '37b702607839d6dc5fc81d95b52e550e336413bf7ae2e04cafeca79f066ea44b',  # +390612345678
            'external_id': user.partner_id._tiktok_external_id(),
        })
        self.assertNotIn('06 1234 5678', page)
        self.assertEqual(config_blob(page)['phone_country'], 'IT')  # what a form on the page reads

    @unittest.skipIf(VECTORS is None, SKIP_WITHOUT_VECTORS)
    def test_identify_with_names_and_addresses_follows_the_website_switch(self):
        vector = VECTORS['partner_identify']
        user = new_test_user(self.env, 'tt_named', groups='base.group_portal')
        user.partner_id.write(self.vector_partner_values(vector['partner']))
        self.authenticate('tt_named', 'tt_named')
        # Default: the contact keys only, as before the switch existed.
        blob = config_blob(self._get('/'))
        self.assertEqual(blob['match_keys'], 'contact')
        self.assertEqual(blob['identify'], self.vector_keys(vector['contact'], user.partner_id))
        self.website.tiktok_match_keys = 'contact_name_address'
        page = self._get('/')
        blob = config_blob(page)
        self.assertEqual(blob['match_keys'], 'contact_name_address')
        self.assertEqual(blob['identify'], self.vector_keys(vector['contact_name_address'], user.partner_id))
        self.assertNotIn('75001', page)


@tagged('post_install', '-at_install')
class TestPageConfigMethod(TikTokCase):

    def test_purchase_blob(self):
        self.set_params(purchase_without_payment='True')
        partner = self.env.ref('base.res_partner_2')
        product = self.env['product.product'].create({'name': 'Blob Desk', 'list_price': 675.0})
        order = self.env['sale.order'].create({
            'partner_id': partner.id,
            'website_id': self.website.id,
            'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 2, 'price_unit': 675.0})],
        })
        delivery_product = self.env['product.product'].create({'name': 'Shipping', 'type': 'service'})
        self.env['sale.order.line'].create({
            'order_id': order.id, 'product_id': delivery_product.id, 'price_unit': 10.0, 'is_delivery': True,
        })
        checked_out(order).action_confirm()
        blob = json.loads(self.website._tiktok_page_config(purchase_order=order)['config_json'])
        self.assertEqual(blob['purchase'], {
            'event_id': order._tiktok_purchase_event_id(),
            'order_id': order.name,
            'value': order.amount_total,
            'currency': order.currency_id.name,
            'contents': [{'content_id': str(product.id), 'content_type': 'product',
                          'content_name': 'Blob Desk', 'price': 675.0, 'quantity': 2.0}],
        })

    def test_blob_cannot_break_out_of_its_script(self):
        product = self.env['product.template'].create({'name': '</script><script>alert(1)</script>&'})
        combination_info = {  # as the product page hands it over
            'product_template_id': product.id, 'product_id': product.product_variant_id.id,
            'display_name': product.name, 'price': 1.0, 'currency': self.website.currency_id,
        }
        config = self.website._tiktok_page_config(main_object=product, combination_info=combination_info)
        self.assertNotIn('<', config['config_json'])
        self.assertNotIn('>', config['config_json'])
        blob = json.loads(config['config_json'])
        self.assertEqual(blob['product']['content_name'], '</script><script>alert(1)</script>&')
