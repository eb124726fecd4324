import calendar
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import hmac

from ..tools.page_config import without_empty
from .tiktok_claim_queue import DUE_STATES, STATES

# Scope of the HMAC behind event ids: a stranger who sees the public pixel id
# and guesses order numbers cannot compute the id of somebody's Purchase.
EVENT_ID_SCOPE = 'website_tiktok_events.event_id'

SKIP_REASONS = [
    ('not_checked_out', 'Not checked out on the website by this buyer (a back-office order, or one given '
                        'another customer or website since)'),
    ('no_consent', 'The buyer did not consent to optional cookies'),
    ('not_confirmed', 'The order was no longer confirmed when it was due'),
    ('cancelled', 'The order was cancelled before it was sent'),
    ('not_paid', 'No confirmed payment and no opt-in for orders without one'),
    ('no_pixel', 'The website has no usable TikTok pixel'),
    ('internal_user', 'Excluded: the buyer is an internal user'),
    ('test_buyer', "Excluded: the buyer's e-mail is one of the test buyers of the settings"),
]
# Reasons that leave an order without a row when its Purchase would be queued:
# not a web Purchase at all, or not one yet (its payment or confirmation may
# still come, and queue it then).
UNQUEUED_REASONS = ('not_checked_out', 'not_confirmed', 'cancelled', 'not_paid')
# TikTok refuses events older than about 7 days (integrators' figure, the
# sidecar's MAX_EVENT_AGE_SECONDS): a backfill never reaches further back. The
# sidecar asks for a little less, to leave time for the sending itself.
MAX_BACKFILL_AGE_SECONDS = 7 * 24 * 3600


class TikTokServerEvent(models.Model):
    """A server-side event the sidecar is to send: today one web Purchase per order.

    Ordinary users have no access to this model at all (see
    security/ir.model.access.csv): only the module's own code, running as
    superuser from trusted paths (payment post-processing, confirmation with the
    website's opt-in) and the sidecar's RPC methods move a row. A field on
    sale.order would not do: `readonly` only shapes views, and anyone who may
    write the order could arm a Purchase over RPC.
    """
    _name = 'tiktok.server.event'
    _inherit = ['tiktok.claim.queue']
    _description = 'TikTok server event'
    _report_key = ('sale_order_id', int)

    sale_order_id = fields.Many2one('sale.order', required=True, ondelete='cascade', index=True, readonly=True)
    website_id = fields.Many2one('website', required=True, ondelete='cascade', readonly=True)
    event_id = fields.Char(help='Shared by the browser copy and the server copy, so TikTok merges them.')
    skip_reason = fields.Selection(SKIP_REASONS, readonly=True)

    _sale_order_unique = models.Constraint('UNIQUE(sale_order_id)', 'One TikTok Purchase per order.')
    _event_id_unique = models.Constraint('UNIQUE(event_id)', 'TikTok event ids are unique.')

    # ------------------------------------------------------------------
    # Identifiers
    # ------------------------------------------------------------------

    @api.model
    def _purchase_event_id(self, order):
        """Deterministic and unguessable: an HMAC of the order id with the
        database secret, the same on the confirmation page and in the claim."""
        digest = hmac(self.env(su=True), EVENT_ID_SCOPE, ('sale.order', order.id))
        return 'purchase-%s' % digest[:32]

    # ------------------------------------------------------------------
    # Trusted paths (never reachable over RPC: private, superuser)
    # ------------------------------------------------------------------

    @api.model
    def _queue_purchases(self, orders):
        """Queue the Purchase of confirmed website orders, once per order."""
        queue = self.sudo()
        already = set(queue.search([('sale_order_id', 'in', orders.ids)]).sale_order_id.ids)
        values = []
        for order in orders.sudo():
            if order.id in already:
                continue
            reason = order._tiktok_purchase_problem()
            if reason not in UNQUEUED_REASONS:
                values.append(queue._queue_values(order, reason))
        return queue.create(values)

    @api.model
    def _queue_values(self, order, skip_reason, queued_at=None):
        """The row of one order's Purchase: pending, or skipped for `skip_reason`."""
        values = {
            'sale_order_id': order.id,
            'website_id': order.website_id.id,
            'event_id': self._purchase_event_id(order),
            'state': 'skipped' if skip_reason else 'pending',
            'skip_reason': skip_reason or False,
        }
        if queued_at:
            values['queued_at'] = queued_at
        return values

    def _still_due_reason(self):
        """Why this Purchase may no longer be sent (None when it may).

        Checked again at claim time: the order could have been cancelled or
        reset to a quotation since it was queued.
        """
        self.ensure_one()
        return self.sale_order_id.sudo()._tiktok_purchase_problem()

    # ------------------------------------------------------------------
    # Sidecar RPC (through sale.order, see there)
    # ------------------------------------------------------------------

    def _claim_entry(self):
        """The Purchase a claim hands out, or why it may no longer be sent (see the queue's `_claim`)."""
        reason = self._still_due_reason()
        return (None, reason) if reason else (self._claimed_purchase(), None)

    @api.model
    def _backfill(self, max_age_seconds, dry_run=False):
        """Queue the Purchase of confirmed web orders that never were, within TikTok's window.

        For web checkouts whose queueing was missed (the checkout is recorded
        by the module since 19.0.1.5.0: orders taken before the module was
        installed are no proven web checkouts, and are left alone). The same rules as at confirmation and at claim
        time, the same event ids; the normal claim sends them. An order without
        a confirmed payment (and no opt-in) gets no row: its payment may still
        come, and queue it then. A second run finds nothing new.
        """
        try:
            max_age = int(max_age_seconds)
        except (TypeError, ValueError):
            max_age = 0
        if not 0 < max_age <= MAX_BACKFILL_AGE_SECONDS:
            raise UserError(_(
                'The TikTok backfill window must be between 1 and %(max)s seconds (TikTok refuses older events), '
                'not %(value)s.', max=MAX_BACKFILL_AGE_SECONDS, value=max_age_seconds))
        since = fields.Datetime.now() - timedelta(seconds=max_age)
        queue = self.sudo()
        orders = self.env['sale.order'].sudo().search([
            ('tiktok_checkout_ids', '!=', False), ('state', '=', 'sale'), ('website_id', '!=', False),
            ('date_order', '>=', since),
        ], order='date_order, id')
        already = set(queue.search([('sale_order_id', 'in', orders.ids)]).sale_order_id.ids)
        outcomes, values = [], []
        for order in orders.filtered(lambda order: order.id not in already):
            reason = order._tiktok_purchase_problem()
            outcomes.append({'order_id': order.id, 'order_name': order.name,
                             'confirmed_at': fields.Datetime.to_string(order.date_order),
                             'outcome': reason or 'queued'})
            if reason not in UNQUEUED_REASONS:
                # Its event_time is the confirmation, as it would have been.
                values.append(queue._queue_values(order, reason, queued_at=order.date_order))
        if not dry_run:
            queue.create(values)
        labels = dict(self._fields['skip_reason']._description_selection(self.env))
        skipped = {}
        for outcome in outcomes:
            if outcome['outcome'] != 'queued':
                skipped[outcome['outcome']] = skipped.get(outcome['outcome'], 0) + 1
        return {
            'dry_run': bool(dry_run),
            'since': fields.Datetime.to_string(since),
            'queued': sum(1 for outcome in outcomes if outcome['outcome'] == 'queued'),
            'skipped': [{'reason': reason, 'label': labels[reason], 'count': count}
                        for reason, count in sorted(skipped.items())],
            'orders': outcomes,
        }

    def _unknown_state_error(self, state):
        return UserError(_('Unknown TikTok purchase state %s.', state))

    def _claimed_purchase(self):
        """One entry of sale.order.tiktok_claim_purchases() (docs/CONTRACTS.md §6)."""
        self.ensure_one()
        order = self.sale_order_id.sudo()
        partner = order.partner_id
        user = without_empty({
            **order.website_id._tiktok_partner_match_keys(partner),
            'ip': order.tiktok_client_ip,
            'user_agent': order.tiktok_user_agent,
            'ttclid': order.tiktok_ttclid,
            'ttp': order.tiktok_ttp,
        })
        # identify_payload names the phone key as ttq.identify does; the
        # Events API calls it `phone`.
        if 'phone_number' in user:
            user['phone'] = user.pop('phone_number')
        return without_empty({
            'order_id': order.id,
            'website_id': order.website_id.id,
            'event_id': self.event_id,
            # Odoo datetimes are naive UTC.
            'event_time': calendar.timegm(self.queued_at.timetuple()),
            # What the buyer checked out, never the order as it is now.
            **order.tiktok_checkout_ids[:1]._purchase_values(),
            'user': user,
            'page_url': '%s/shop/confirmation' % order.website_id.get_base_url().rstrip('/'),
            # the sidecar applies the website's policy (limited data use); a refusal was recorded as one
            'gpc': order.tiktok_gpc or None,
        })

    # ------------------------------------------------------------------
    # Administrator action
    # ------------------------------------------------------------------

    def _rearm(self):
        """Queue a Purchase again, on an administrator's explicit request only.

        Same event id: within TikTok's 48 h window the copy is merged; after it,
        TikTok counts a second Purchase, which is what the administrator asked.
        """
        if not (self.env.su or self.env.user.has_group('base.group_system')):
            raise AccessError(_('Only administrators can send a TikTok Purchase again.'))
        for row in self.sudo().filtered(lambda row: row.state not in DUE_STATES):
            previous = dict(STATES)[row.state]
            row.write({'state': 'pending', 'skip_reason': False, 'claimed_by': False, 'lease_until': False,
                       'queued_at': fields.Datetime.now()})
            row.sale_order_id.message_post(body=_(
                'TikTok Purchase queued again by %(user)s (it was: %(state)s).',
                user=self.env.user.name, state=previous))
