import calendar
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.sql import create_index

from ..tools import hashing
from ..tools.page_config import without_empty

SIDECAR_GROUP = 'website_tiktok_events.group_tiktok_sidecar'
BUYER_CONTEXT_GROUPS = 'base.group_system,website_tiktok_events.group_tiktok_sidecar'

# Outcomes the sidecar reports; 'sent' is final (a late report from another
# replica must not turn a delivered purchase into a failed one).
REPORTABLE_STATES = ('sent', 'failed', 'skipped')
MAX_CLAIM = 1000


class SaleOrder(models.Model):
    _inherit = 'sale.order'

    tiktok_purchase_state = fields.Selection(
        [('pending', 'To send'), ('claimed', 'Being sent'), ('sent', 'Sent'), ('failed', 'Refused by TikTok'),
         ('skipped', 'Not sent')],
        string='TikTok Purchase', copy=False, readonly=True,
        help='Server-side TikTok Purchase event of this order, sent by the sidecar.')
    tiktok_purchase_time = fields.Datetime(string='TikTok Purchase time', copy=False, readonly=True)
    tiktok_claimed_by = fields.Char(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_lease_until = fields.Datetime(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    # The buyer's browser context, captured from the checkout's own HTTP
    # requests so that any sidecar replica can attribute the Purchase.
    tiktok_consent = fields.Selection(
        [('granted', 'Granted'), ('denied', 'Denied'), ('not_required', 'Not required')],
        copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_client_ip = fields.Char(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_user_agent = fields.Char(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_ttclid = fields.Char(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)
    tiktok_ttp = fields.Char(copy=False, readonly=True, groups=BUYER_CONTEXT_GROUPS)

    def init(self):
        super().init()
        # The poller's query touches only due orders: its cost must not grow
        # with the number of orders already sent.
        create_index(
            self.env.cr, 'sale_order_tiktok_due_index', self._table,
            ['tiktok_purchase_time', 'id'],
            where="tiktok_purchase_state IN ('pending', 'claimed')",
        )

    # ------------------------------------------------------------------
    # Identifiers and page data
    # ------------------------------------------------------------------

    def _tiktok_purchase_event_id(self):
        """Purchase event id shared by the confirmation page and the sidecar.

        Derived from the order alone so that the browser copy and the server
        copy always carry the same id and TikTok merges them.
        """
        self.ensure_one()
        return 'purchase-so-%d' % self.id

    def _tiktok_contents(self):
        self.ensure_one()
        return [
            {
                'content_id': str(line.product_id.id),
                'content_type': 'product',
                'content_name': line.product_id.display_name or line.name,
                'price': line.price_unit,
                'quantity': line.product_uom_qty,
            }
            for line in self.order_line
            if line.product_id and not line.display_type and not line.is_delivery
        ]

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

    def _tiktok_store_buyer_context(self, consent, ip=None, user_agent=None, ttclid=None, ttp=None):
        """Remember the checkout's consent and, only with consent, its browser context."""
        values = {'tiktok_consent': consent}
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

    def _tiktok_buyer_consented(self):
        """False when the website asks for consent and the buyer did not give it
        (or never went through a checkout that could record it)."""
        self.ensure_one()
        consent = self.sudo().tiktok_consent
        if consent:
            return consent != 'denied'
        return not self.website_id.cookies_bar

    def _tiktok_mark_purchase_due(self):
        """Queue the server Purchase of confirmed website orders, once per order."""
        for order in self.sudo():
            if order.tiktok_purchase_state or not order.website_id or order.state != 'sale':
                continue
            state = 'pending' if order._tiktok_buyer_consented() else 'skipped'
            order.write({'tiktok_purchase_state': state, 'tiktok_purchase_time': fields.Datetime.now()})

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

    # ------------------------------------------------------------------
    # Sidecar RPC
    # ------------------------------------------------------------------

    @api.model
    def _tiktok_check_sidecar_access(self):
        user = self.env.user
        if not (self.env.su or user.has_group('base.group_system') or user.has_group(SIDECAR_GROUP)):
            raise AccessError(_('Only the TikTok sidecar and administrators can read TikTok purchases.'))

    @api.model
    def tiktok_claim_purchases(self, limit=50, lease_seconds=600, claimer=''):
        """Claim due Purchases for one sidecar replica and return them.

        Due = 'pending', or 'claimed' by a replica whose lease expired. Rows
        locked by a concurrent claim are skipped, so replicas never claim the
        same order at the same time; the event id stays the order's, so a
        re-claim after a crash can only resend, never duplicate.
        """
        self._tiktok_check_sidecar_access()
        limit = max(1, min(int(limit), MAX_CLAIM))
        lease_seconds = max(10, min(int(lease_seconds), 7 * 24 * 3600))
        # The clock leases are written with (SQL now() is the transaction's start).
        now = fields.Datetime.now()
        self.env['sale.order'].flush_model(['tiktok_purchase_state', 'tiktok_purchase_time', 'tiktok_lease_until'])
        self.env.cr.execute(
            """
            SELECT id FROM sale_order
             WHERE tiktok_purchase_state IN ('pending', 'claimed')
               AND (tiktok_purchase_state = 'pending'
                    OR tiktok_lease_until IS NULL
                    OR tiktok_lease_until < %s)
             ORDER BY tiktok_purchase_time, id
             LIMIT %s
             FOR UPDATE SKIP LOCKED
            """,
            [now, limit],
        )
        orders = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        if not orders:
            return []
        orders.write({
            'tiktok_purchase_state': 'claimed',
            'tiktok_claimed_by': str(claimer or '')[:128] or False,
            'tiktok_lease_until': now + timedelta(seconds=lease_seconds),
        })
        return [order._tiktok_claimed_purchase() for order in orders]

    @api.model
    def tiktok_mark_purchases(self, order_ids, state):
        """Record the sidecar's outcome; returns the number of orders changed."""
        self._tiktok_check_sidecar_access()
        if state not in REPORTABLE_STATES:
            raise UserError(_('Unknown TikTok purchase state %s.', state))
        ids = [int(order_id) for order_id in (order_ids or [])]
        orders = self.sudo().browse(ids).exists().filtered(
            lambda order: order.tiktok_purchase_state in ('pending', 'claimed', 'failed', 'skipped')
            and order.tiktok_purchase_state != state
        )
        orders.write({'tiktok_purchase_state': state, 'tiktok_lease_until': False})
        return len(orders)

    def _tiktok_claimed_purchase(self):
        """One entry of tiktok_claim_purchases() (docs/CONTRACTS.md §6)."""
        self.ensure_one()
        order = self.sudo()
        partner = order.partner_id
        user = without_empty({
            **hashing.identify_payload(
                email=partner.email,
                phone=partner.phone,
                country_calling_code=partner.country_id.phone_code,
                external_id=partner.id,
            ),
            'ip': order.tiktok_client_ip,
            'user_agent': order.tiktok_user_agent,
            'ttclid': order.tiktok_ttclid,
            'ttp': order.tiktok_ttp,
        })
        # identify_payload names the phone key as ttq.identify does; the
        # Events API calls it `phone`.
        if 'phone_number' in user:
            user['phone'] = user.pop('phone_number')
        purchase_time = order.tiktok_purchase_time or order.date_order or fields.Datetime.now()
        return without_empty({
            'order_id': order.id,
            'website_id': order.website_id.id,
            'event_id': order._tiktok_purchase_event_id(),
            # Odoo datetimes are naive UTC.
            'event_time': calendar.timegm(purchase_time.timetuple()),
            'order_name': order.name,
            'value': order.amount_total,
            'currency': order.currency_id.name,
            'contents': order._tiktok_contents(),
            'user': user,
            'page_url': '%s/shop/confirmation' % order.website_id.get_base_url().rstrip('/'),
        })
