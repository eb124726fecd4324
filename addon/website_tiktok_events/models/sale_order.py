from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..tools.contents import content_price
from ..tools.frozen_lines import frozen_contents
from ..tools.page_config import without_empty
from ..tools.settings_resolution import is_test_email, tracking_problem
from ..tools.settings_table import CONTENT_ID_PRODUCT_ID
from .tiktok_claim_queue import DUE_STATES, STATES, check_sidecar_caller

# Only administrators see the buyer's browser context (the sidecar reads it
# through its RPC methods, as superuser).
BUYER_CONTEXT_GROUPS = 'base.group_system'


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    tiktok_purchase_state = fields.Selection(
        STATES, string='TikTok Purchase', compute='_compute_tiktok_purchase_state',
        help='Server-side TikTok Purchase event of this order, sent by the sidecar.')
    # The buyer's browser context, captured from the checkout's own HTTP
    # requests so that any sidecar replica can attribute the Purchase.
    tiktok_consent = fields.Selection(
        [('granted', 'Granted'), ('denied', 'Denied'), ('not_required', 'Not required')],
        copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_client_ip = fields.Char(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_user_agent = fields.Char(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_ttclid = fields.Char(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_ttp = fields.Char(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_gpc = fields.Boolean(
        string='Global Privacy Control at checkout', copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS,
        help="The buyer's browser sent Global Privacy Control when checking out: the website's policy applies "
             'to the Purchase.')
    # Shown in the dashboard's Purchase coverage: the server copy is "paired"
    # when the buyer's browser also got the page that fires the browser copy.
    tiktok_confirmation_shown_at = fields.Datetime(
        string='TikTok confirmation page shown', copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS,
        help='When the buyer, with consent, first opened the confirmation page that fires the browser Purchase.')

    tiktok_checkout_ids = fields.One2many('tiktok.web.checkout', 'sale_order_id', string='TikTok website checkout',
                                          groups=BUYER_CONTEXT_GROUPS,
                                          readonly=True, copy=False)

    def _compute_tiktok_purchase_state(self):
        # Read as superuser: the state is shown to whoever may see the order,
        # but lives where nobody but the module's own code can change it.
        events = self.env['tiktok.server.event'].sudo().search([('sale_order_id', 'in', self.ids)])
        state_by_order = {event.sale_order_id.id: event.state for event in events}
        for order in self:
            order.tiktok_purchase_state = state_by_order.get(order.id, False)

    # ------------------------------------------------------------------
    # Identifiers and page data
    # ------------------------------------------------------------------

    def _tiktok_purchase_event_id(self):
        """Purchase event id shared by the confirmation page and the sidecar.

        The queued event's id when there is one (orders queued before ids were
        signed keep theirs), else the signed id it will get.
        """
        self.ensure_one()
        queued = self.env['tiktok.server.event'].sudo().search([('sale_order_id', '=', self.id)], limit=1)
        return queued.event_id or self.env['tiktok.server.event']._purchase_event_id(self)

    def _tiktok_lines(self):
        """The order's product lines as a Purchase names them (tools/frozen_lines.py)."""
        self.ensure_one()
        return [line.product_id._tiktok_frozen_line(line.name, line.price_unit, line.product_uom_qty)
                for line in self.order_line
                if line.product_id and not line.display_type and not line.is_delivery]

    def _tiktok_cart_contents(self, quantity_per_line):
        """The content entries of this website order's lines found in
        ``quantity_per_line`` (a ``sale.order.line`` id → a quantity), in the
        order's line order: what an add to cart added, or the whole cart.

        Names as Odoo's own tracking shows them (without the internal reference),
        the unit price the shopper pays before taxes (Odoo's tracking price) in the
        order's currency, and the website category the product page's ViewContent
        reports.
        """
        self.ensure_one()
        website = self.website_id
        lines = self.order_line.filtered(
            lambda line: line.product_id and quantity_per_line.get(line.id, 0) > 0
        )
        return [
            without_empty({
                'content_id': website._tiktok_content_id(line.product_id),
                'content_type': 'product',
                'content_name': line.product_id._tiktok_content_name(),
                'content_category': line.product_id.product_tmpl_id._tiktok_public_category_name(website),
                'price': content_price(line.price_reduce_taxexcl, self.currency_id),
                'quantity': quantity_per_line[line.id],
            })
            for line in lines
        ]

    def _tiktok_cart_lines(self):
        """Every product line of this cart with its quantity (combo items
        included, delivery excluded), as a Purchase counts them."""
        self.ensure_one()
        return {line.id: line.product_uom_qty for line in self.order_line if not line.is_delivery}

    def _tiktok_content_source(self):
        self.ensure_one()
        website = self.website_id
        return website._tiktok_resolved_settings()['content_id_source'] if website else CONTENT_ID_PRODUCT_ID

    def _tiktok_contents(self):
        self.ensure_one()
        return frozen_contents(self._tiktok_lines(), self._tiktok_content_source(), self.currency_id)

    def _tiktok_purchase_data(self):
        """The `purchase` part of the page config blob (docs/CONTRACTS.md §2)."""
        self.ensure_one()
        return {
            'event_id': self._tiktok_purchase_event_id(),
            'order_id': self.name,
            'value': self.amount_total,
            'currency': self.currency_id.name,
            'contents': self._tiktok_contents(),
        }

    # ------------------------------------------------------------------
    # Buyer context and marking (docs/CONTRACTS.md §6)
    # ------------------------------------------------------------------

    def _tiktok_store_buyer_context(self, consent, ip=None, user_agent=None, ttclid=None, ttp=None, gpc=False):
        """Remember the checkout's consent and, only with consent, its browser
        context; and that a buyer checked this order out on the website.

        For the website checkout's own requests only (controllers/main.py,
        for the session's cart): private, so never reachable over RPC."""
        values = {'tiktok_consent': consent, 'tiktok_gpc': bool(gpc)}
        if consent != 'denied':
            values.update({
                'tiktok_client_ip': (ip or '')[:64] or False,
                'tiktok_user_agent': (user_agent or '')[:512] or False,
                'tiktok_ttclid': (ttclid or '')[:512] or False,
                'tiktok_ttp': (ttp or '')[:256] or False,
            })
        else:
            values.update({'tiktok_client_ip': False, 'tiktok_user_agent': False,
                           'tiktok_ttclid': False, 'tiktok_ttp': False})
        self.sudo().write(values)
        self.env['tiktok.web.checkout'].sudo()._record(self)

    def _tiktok_buyer_consented(self):
        """False when the website asks for consent and the buyer did not give it
        (or never went through a checkout that could record it)."""
        self.ensure_one()
        consent = self.sudo().tiktok_consent
        if consent:
            return consent != 'denied'
        return not self.website_id.cookies_bar

    def _tiktok_consent_problem(self):
        return None if self._tiktok_buyer_consented() else 'no_consent'

    def _tiktok_payment_problem(self):
        """'not_paid' when the order has no confirmed payment and its website did not opt in."""
        self.ensure_one()
        if self._tiktok_paid_online() or self.website_id._tiktok_resolved_settings()['purchase_without_payment']:
            return None
        return 'not_paid'

    def _tiktok_exclusion(self):
        """Why this order is never a TikTok Purchase (a skip reason), or None.

        The shop's own people are no conversions: an order whose buyer is an
        internal user (archived ones too), or whose e-mail is one of the
        website's test buyers.
        """
        self.ensure_one()
        order = self.sudo()  # also for the visitor rendering the confirmation page
        partner = order.partner_id
        if any(not user.share for user in partner.with_context(active_test=False).user_ids):
            return 'internal_user'
        test_emails = order.website_id._tiktok_resolved_settings(with_secrets=True)['test_emails']
        if is_test_email(partner.email, test_emails):
            return 'test_buyer'
        return None

    def _tiktok_checked_out_on_website(self):
        """A buyer checked this order out on the website (tiktok.web.checkout),
        and it still has that buyer and website."""
        self.ensure_one()
        checkout = self.sudo().tiktok_checkout_ids[:1]
        return bool(checkout) and checkout._matches(self.sudo())

    def _tiktok_purchase_problem(self):
        """The Purchase rule, in one place: None when the server sends this
        order's web Purchase (or has sent it), else why not (a skip reason).

        Asked when the Purchase is queued, again when the sidecar claims it, by
        the backfill, and by the confirmation page for the browser's copy. In
        order: a buyer checked it out on the website ('not_checked_out'), it
        is confirmed ('cancelled', 'not_confirmed': not yet, or no longer), its
        buyer is no member of the shop's staff nor a test buyer, it is paid
        online or its website opted in ('not_paid'), the buyer consented.
        Whether the website has a usable pixel is the sidecar's to say.
        """
        self.ensure_one()
        order = self.sudo()
        if not order._tiktok_checked_out_on_website():
            return 'not_checked_out'
        if order.state == 'cancel':
            return 'cancelled'
        if order.state != 'sale':
            return 'not_confirmed'
        return order._tiktok_exclusion() or order._tiktok_payment_problem() or order._tiktok_consent_problem()

    def _tiktok_note_confirmation_shown(self):
        """Remember the first time the confirmation page carried the browser
        Purchase to a buyer whose consent lets the pixel fire it."""
        self.ensure_one()
        order = self.sudo()
        if order.tiktok_confirmation_shown_at or not self._tiktok_buyer_consented():
            return
        if tracking_problem(order.website_id._tiktok_resolved_settings()):
            return
        order.tiktok_confirmation_shown_at = fields.Datetime.now()

    def _tiktok_mark_purchase_due(self):
        """Queue the server Purchase of confirmed website orders, once per order."""
        self.env['tiktok.server.event']._queue_purchases(self)

    def _tiktok_paid_online(self):
        self.ensure_one()
        return any(tx.state in ('done', 'authorized') for tx in self.sudo().transaction_ids)

    def action_confirm(self):
        result = super().action_confirm()
        # Orders paid online are queued by their transaction's post-processing;
        # the others only when the website opted in (e.g. wire transfer
        # confirmed in the back office).
        without_payment = self.sudo().filtered(
            lambda order: order.website_id
            and not order._tiktok_paid_online()
            and order.website_id._tiktok_resolved_settings()['purchase_without_payment']
        )
        without_payment._tiktok_mark_purchase_due()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        # Not sent yet: skipped now rather than at the next claim, so the
        # dashboard says so even while the sidecar is down. A claimed row may be
        # in flight: the sidecar's report of what really happened wins.
        self.env['tiktok.server.event'].sudo().search([
            ('sale_order_id', 'in', self.ids), ('state', 'in', DUE_STATES),
        ])._skip('cancelled')
        return result

    # ------------------------------------------------------------------
    # Sidecar RPC (docs/CONTRACTS.md §6): the sidecar group holds no access
    # rights on orders; these methods check the caller and read as superuser.
    # ------------------------------------------------------------------

    @api.model
    def tiktok_claim_purchases(self, limit=50, lease_seconds=600, claimer=''):
        """Claim due Purchases for one sidecar replica and return them."""
        check_sidecar_caller(self.env)
        return self.env['tiktok.server.event'].sudo()._claim(limit, lease_seconds, claimer)

    @api.model
    def tiktok_mark_purchases(self, order_ids, state, claimer=''):
        """Record the outcome of the orders `claimer` claimed; returns the number of orders changed."""
        check_sidecar_caller(self.env)
        return self.env['tiktok.server.event'].sudo()._report(order_ids, state, claimer)

    @api.model
    def tiktok_backfill_purchases(self, max_age_seconds, dry_run=False):
        """Queue the Purchases of confirmed web orders never queued, confirmed
        within the last `max_age_seconds`; `dry_run` lists them without queueing."""
        check_sidecar_caller(self.env)
        return self.env['tiktok.server.event'].sudo()._backfill(max_age_seconds, dry_run=dry_run)

    def action_tiktok_send_purchase_again(self):
        """Administrators only: queue the TikTok Purchase of these orders again (traced in the chatter)."""
        if not self.env.user.has_group('base.group_system'):
            raise AccessError(_('Only administrators can send a TikTok Purchase again.'))
        self.env['tiktok.server.event'].sudo().search([('sale_order_id', 'in', self.ids)])._rearm()
        return True
