from odoo.http import request

from odoo.addons.website_sale.controllers.main import WebsiteSale
from odoo.addons.website_sale.controllers.payment import PaymentPortal

from ..tools.settings_table import consent_under_gpc

# First-party cookies: `ttclid` is kept by the browser bundle from the ad
# click's landing URL, `_ttp` is the TikTok pixel's own cookie.
TTCLID_COOKIE = 'ttclid'
TTP_COOKIE = '_ttp'


def browser_consent(website):
    """The current request's consent to optional cookies on `website`:
    'not_required' (no cookie bar), 'granted' or 'denied'."""
    if not website.cookies_bar:
        return 'not_required'
    if request.env['ir.http']._is_allowed_cookie('optional'):
        return 'granted'
    return 'denied'


def is_session_cart(order):
    """`order` is this browser session's own website cart: not any order
    whose link (and access token) somebody holds, e.g. a back-office quotation."""
    return bool(order) and bool(request) and request.cart.id == order.id


def sends_gpc(httprequest):
    """The request carries Global Privacy Control (`Sec-GPC: 1`, the header's one value)."""
    return httprequest.headers.get('Sec-GPC', '').strip() == '1'


def store_buyer_context(order):
    """Save the checkout request's consent and browser context on the order,
    where every sidecar replica can read it for the server Purchase, and record
    that a buyer checked it out on the website (tiktok.web.checkout)."""
    if not is_session_cart(order):
        return
    httprequest = request.httprequest
    gpc = sends_gpc(httprequest)
    policy = request.website._tiktok_resolved_settings()['gpc']
    order.sudo()._tiktok_store_buyer_context(
        consent_under_gpc(browser_consent(request.website), gpc, policy),
        gpc=gpc,
        ip=httprequest.remote_addr,
        user_agent=httprequest.headers.get('User-Agent'),
        ttclid=httprequest.cookies.get(TTCLID_COOKIE),
        ttp=httprequest.cookies.get(TTP_COOKIE),
    )


class WebsiteSaleTikTok(WebsiteSale):

    def _get_shop_payment_values(self, order, **kwargs):
        # The payment step is reached by every web checkout, whatever the
        # payment method (also wire transfer, confirmed later in the back office).
        store_buyer_context(order)
        return super()._get_shop_payment_values(order, **kwargs)

    def _prepare_shop_payment_confirmation_values(self, order):
        # A dedicated name: generic ones such as `order` are also used by portal
        # pages, where no Purchase must be announced.
        values = super()._prepare_shop_payment_confirmation_values(order)
        values['tiktok_purchase_order'] = order
        # Only an order whose Purchase the server sends fires it in the browser.
        if order and request.website._tiktok_browser_purchase_due(order):
            order._tiktok_note_confirmation_shown()
        return values


class PaymentPortalTikTok(PaymentPortal):

    def _validate_transaction_for_order(self, transaction, sale_order):
        # The buyer pressed "Pay": the freshest consent and cookies.
        store_buyer_context(sale_order)
        return super()._validate_transaction_for_order(transaction, sale_order)
