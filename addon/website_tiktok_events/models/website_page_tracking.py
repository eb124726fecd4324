from odoo import models
from odoo.http import request

from ..tools import hashing
from ..tools.contents import content_id
from ..tools.page_config import disabled_comment, new_page_event_id, script_safe_json, without_empty
from ..tools.settings_resolution import tracking_problem
from ..tools.settings_table import CONTENT_ID_PRODUCT_ID, GPC_IGNORE, MATCH_NAME_ADDRESS
from .tiktok_claim_queue import DUE_STATES


class WebsitePageTracking(models.Model):
    """Page tracking: what website.layout injects into <head> (the page config
    of docs/CONTRACTS.md §2), and the rules it shares with the server's events
    (content ids, a buyer's match keys). The website's settings are in
    website.py."""
    _inherit = 'website'

    def _tiktok_page_config(self, main_object=None, combination_info=None, purchase_order=None, products=None,
                            cart_order=None):
        """Everything website.layout needs to inject the pixel into <head>.

        ``purchase_order``: the order of the confirmation page; ``cart_order``:
        the shopper's cart on the cart and checkout pages (website_sale's
        ``website_sale_order``).

        Returns a dict: ``problem`` (why nothing is injected, or None),
        ``comment`` (the HTML comment saying so), ``pixel_id``,
        ``consent_required``, ``debug`` and ``config_json`` (the blob of
        docs/CONTRACTS.md §2 as script-safe Markup).
        """
        self.ensure_one()
        resolved = self._tiktok_resolved_settings()
        problem = tracking_problem(resolved)
        if problem:
            return {'problem': problem, 'comment': disabled_comment(problem), 'debug': resolved['debug']}
        consent_required = bool(self.cookies_bar)
        blob = {
            'pixel_id': resolved['pixel_id'],
            'website_id': self.id,
            'relay_url': resolved['relay_url'],
            'page_event_id': new_page_event_id(),
            'currency': self.currency_id.name,
            'phone_country': self._tiktok_phone_country(),
            'debug': resolved['debug'],
            'consent_required': consent_required,
            'event_names': resolved['event_names'],
            'match_keys': resolved['match_keys'],
            'gpc': resolved['gpc'] if resolved['gpc'] != GPC_IGNORE else None,
            'identify': self._tiktok_identify_data(),
            'content_ids': self._tiktok_content_ids(self._tiktok_page_products(main_object, products)),
            'product': self._tiktok_product_data(main_object, combination_info),
            'order': self._tiktok_checkout_order_data(cart_order),
            'purchase': (purchase_order._tiktok_purchase_data()
                         if self._tiktok_browser_purchase_due(purchase_order) else None),
        }
        # Contract: absent keys are omitted, never null. Flags stay explicit.
        blob = {
            key: value for key, value in blob.items()
            if key in ('debug', 'consent_required') or key in without_empty(blob)
        }
        return {
            'problem': None,
            'pixel_id': resolved['pixel_id'],
            'consent_required': consent_required,
            'debug': resolved['debug'],
            'config_json': script_safe_json(blob),
        }

    def _tiktok_browser_purchase_due(self, order):
        """Whether the confirmation page of ``order`` fires the browser Purchase:
        only when the server sends the order's Purchase, by the same rules.

        That is an order of this website whose Purchase the module queued (paid
        online, or confirmed with the website's opt-in for orders without
        payment) and that the claim's own check (``_still_due_reason``) would
        still send, or that was sent. An order the server will not send (a wire
        transfer not paid yet without the opt-in, the shop's own people, a
        buyer who refused consent, a cancelled order) fires nothing in the
        browser either: TikTok must not count a Purchase the shop never had.
        """
        self.ensure_one()
        if not order or order.sudo().website_id != self:
            return False
        queued = self.env['tiktok.server.event'].sudo().search([('sale_order_id', '=', order.id)], limit=1)
        if queued.state == 'sent':
            return True
        return queued.state in DUE_STATES and not queued._still_due_reason()

    def _tiktok_checkout_order_data(self, order):
        """The ``order`` of the page config (docs/CONTRACTS.md §2): the cart on the
        cart and checkout pages, in its own currency — the address step may move
        the shopper to another pricelist — with the order's total (delivery and
        taxes included, as the Purchase's value) and its product lines as the
        cart's answer names them. The browser's checkout events
        (InitiateCheckout, AddPaymentInfo, PlaceAnOrder) read it from the page
        they fire on."""
        order = order.sudo() if order and getattr(order, '_name', None) == 'sale.order' else None
        if not order or order.state != 'draft' or order.website_id != self:
            return None
        contents = order._tiktok_cart_contents(order._tiktok_cart_lines())
        if not contents:
            return None
        return {'value': order.amount_total, 'currency': order.currency_id.name, 'contents': contents}

    def _tiktok_phone_country(self):
        """ISO code of the country in which the page reads a phone number typed without its own.

        The logged-in customer's country, else the website company's: the
        country whose numbers a visitor of the shop most likely types.
        """
        if request and request.env.user and not request.env.user._is_public():
            country = request.env.user.sudo().partner_id.country_id
            if country:
                return country.code
        return self.company_id.country_id.code or None

    def _tiktok_identify_data(self):
        """Hashed match keys of the logged-in visitor (nothing for the public user)."""
        if not request or not request.env.user or request.env.user._is_public():
            return None
        return self._tiktok_partner_match_keys(request.env.user.sudo().partner_id) or None

    def _tiktok_partner_match_keys(self, partner):
        """The match keys of one partner as ``ttq.identify`` names them, as much
        as this website shares (``match_keys``): the page config's ``identify``
        and the server Purchase both come from here, so a buyer's keys are the
        same on both sides of a deduplicated pair."""
        self.ensure_one()
        partner = partner.sudo()
        keys = hashing.identify_payload(
            email=partner.email,
            phone=partner.phone,
            country=partner.country_id,
            external_id=partner._tiktok_external_id() if partner else None,
        )
        if self._tiktok_resolved_settings()['match_keys'] == MATCH_NAME_ADDRESS:
            keys.update(hashing.name_address_keys(
                # A company's name is no person's first and last name.
                full_name=partner.name if not partner.is_company else None,
                zip_code=partner.zip,
                city=partner.city,
                state=partner.state_id.code,
                country=partner.country_id.code,
            ))
        return keys

    def _tiktok_content_id(self, product, source=None):
        """The ``content_id`` of a ``product.product`` on this website (its
        ``content_id_source``, read once by a caller naming many products):
        the one rule behind every content entry the module builds (product
        page, cart answer, Purchase, catalog feed)."""
        self.ensure_one()
        source = source or self._tiktok_resolved_settings()['content_id_source']
        return content_id(product.id, product.sudo().default_code, source)

    def _tiktok_content_ids(self, products):
        """``content_ids`` of the page config: product id → content id for the
        products whose content id is not their id (a website that sends
        internal references), so the browser names a product it reads from the
        page (a variant, a cart line, a wishlist button) as the module does."""
        self.ensure_one()
        if self._tiktok_resolved_settings()['content_id_source'] == CONTENT_ID_PRODUCT_ID:
            return None
        ids = {str(product.id): self._tiktok_content_id(product) for product in products}
        return {key: value for key, value in ids.items() if key != value} or None

    def _tiktok_page_products(self, main_object, products):
        """The products a page shows that the browser may report: the product
        page's variants, the shop grid's (the variant each card adds), the cart's."""
        found = self.env['product.product']
        if getattr(main_object, '_name', None) == 'product.template':
            found |= main_object.sudo().product_variant_ids
        if getattr(products, '_name', None) == 'product.template':
            found |= products.sudo().product_variant_id
        cart = getattr(request, 'cart', None) if request else None
        if cart:
            found |= cart.sudo().order_line.product_id
        return found

    def _tiktok_product_data(self, main_object, combination_info):
        if not main_object or getattr(main_object, '_name', None) != 'product.template' or len(main_object) != 1:
            return None
        # The product page's own combination (it honours attribute values in the
        # URL); recompute only when the page did not provide it.
        if not isinstance(combination_info, dict) or combination_info.get('product_template_id') != main_object.id:
            combination_info = main_object._get_combination_info()
        # A variant is chosen when the URL names one (a variant's own link, as the catalog feed gives it).
        variant_chosen = bool(request and request.httprequest.args.get('attribute_values'))
        return main_object._tiktok_product_data(combination_info, self, variant_chosen=variant_chosen) or None
