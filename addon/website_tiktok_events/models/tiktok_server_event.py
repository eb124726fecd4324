import calendar
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import hmac
from odoo.tools.sql import create_index

from ..tools.page_config import without_empty

SIDECAR_GROUP = 'website_tiktok_events.group_tiktok_sidecar'
# Scope of the HMAC behind event ids: a stranger who sees the public pixel id
# and guesses order numbers cannot compute the id of somebody's Purchase.
EVENT_ID_SCOPE = 'website_tiktok_events.event_id'

STATES = [
    ('pending', 'To send'),
    ('claimed', 'Being sent'),
    ('sent', 'Sent'),
    ('failed', 'Refused by TikTok'),
    ('skipped', 'Not sent'),
]
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
# Outcomes the sidecar reports; 'sent' is final (a late report from another
# replica must not turn a delivered purchase into a failed one).
REPORTABLE_STATES = ('sent', 'failed', 'skipped')
DUE_STATES = ('pending', 'claimed')
# Reasons that leave an order without a row when its Purchase would be queued:
# not a web Purchase at all, or not one yet (its payment or confirmation may
# still come, and queue it then).
UNQUEUED_REASONS = ('not_checked_out', 'not_confirmed', 'cancelled', 'not_paid')
MAX_CLAIM = 1000
# A lease shorter than a send could take would hand a row to a second replica
# while the first one sends it; longer than TikTok's window, it would outlive it.
MIN_LEASE_SECONDS = 10
MAX_LEASE_SECONDS = 7 * 24 * 3600
# TikTok refuses events older than about 7 days (integrators' figure, the
# sidecar's MAX_EVENT_AGE_SECONDS): a backfill never reaches further back. The
# sidecar asks for a little less, to leave time for the sending itself.
MAX_BACKFILL_AGE_SECONDS = 7 * 24 * 3600


def claim_bounds(limit, lease_seconds):
    """A claim's size and lease as asked, within what Odoo hands out at once."""
    try:
        limit, lease_seconds = int(limit), int(lease_seconds)
    except (TypeError, ValueError):
        raise UserError(_('A TikTok claim needs a whole number of rows (limit) and of seconds (lease_seconds).'))
    return max(1, min(limit, MAX_CLAIM)), max(MIN_LEASE_SECONDS, min(lease_seconds, MAX_LEASE_SECONDS))


def claimer_name(claimer):
    """The replica id a claim is recorded under, and a report names: text, at
    most 128 characters. A claim or report without one is refused: an outcome
    is only ever taken from the replica that holds the claim."""
    name = str(claimer or '').strip()[:128] if isinstance(claimer, (str, int)) else ''
    if not name:
        raise UserError(_('The TikTok sidecar must say which replica claims or reports (claimer).'))
    return name


def settled_by_claimer_domain(claimer, state):
    """The rows a replica may report as `state`: those it claimed itself (a row
    another replica claimed since, a pending row, one never claimed, are not its
    to settle), none already in that state, and never a sent one (final: a late
    report must not turn a delivered event into a failed one). A refused row
    keeps its claimer, so a dead letter sent again and delivered is reported sent."""
    return [('claimed_by', '=', claimer_name(claimer)),
            ('state', 'in', ('claimed', 'failed', 'skipped')),
            ('state', '!=', state)]


def is_sidecar_account(user):
    """A member of the sidecar group that can be the sidecar: an active user
    with credentials of its own (never the public user, whatever its groups)."""
    return user.active and not user._is_public() and user.has_group(SIDECAR_GROUP)


def check_sidecar_caller(env, message=None):
    """RPC methods of the sidecar: its account, or an administrator."""
    user = env.user
    if not (env.su or user.has_group('base.group_system') or is_sidecar_account(user)):
        raise AccessError(message or env._('Only the TikTok sidecar and administrators can do this.'))


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
    _description = 'TikTok server event'
    _order = 'queued_at, id'
    _rec_name = 'event_id'

    sale_order_id = fields.Many2one('sale.order', required=True, ondelete='cascade', index=True, readonly=True)
    website_id = fields.Many2one('website', required=True, ondelete='cascade', readonly=True)
    event_id = fields.Char(required=True, readonly=True,
                           help='Shared by the browser copy and the server copy, so TikTok merges them.')
    state = fields.Selection(STATES, required=True, default='pending', readonly=True)
    skip_reason = fields.Selection(SKIP_REASONS, readonly=True)
    queued_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True,
                                help='When the event became due; its event_time.')
    claimed_by = fields.Char(readonly=True)
    lease_until = fields.Datetime(readonly=True)

    _sale_order_unique = models.Constraint('UNIQUE(sale_order_id)', 'One TikTok Purchase per order.')
    _event_id_unique = models.Constraint('UNIQUE(event_id)', 'TikTok event ids are unique.')

    def init(self):
        super().init()
        # The poller's query touches only due rows: its cost must not grow with
        # the number of events already sent.
        create_index(
            self.env.cr, 'tiktok_server_event_due_index', self._table, ['queued_at', 'id'],
            where="state IN ('pending', 'claimed')",
        )

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

    def _skip(self, reason):
        self.sudo().write({'state': 'skipped', 'skip_reason': reason, 'lease_until': False})

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

    @api.model
    def _claim(self, limit, lease_seconds, claimer):
        """Claim due Purchases for one sidecar replica.

        Due = 'pending', or 'claimed' by a replica whose lease expired. Rows
        locked by a concurrent claim are skipped, so replicas never claim the
        same order at the same time; the event id stays the order's, so a
        re-claim after a crash can only resend, never duplicate.
        """
        limit, lease_seconds = claim_bounds(limit, lease_seconds)
        claimer = claimer_name(claimer)
        # The clock leases are written with (SQL now() is the transaction's start).
        now = fields.Datetime.now()
        self.flush_model(['state', 'queued_at', 'lease_until'])
        self.env.cr.execute(
            """
            SELECT id FROM tiktok_server_event
             WHERE state IN ('pending', 'claimed')
               AND (state = 'pending' OR lease_until IS NULL OR lease_until < %s)
             ORDER BY queued_at, id
             LIMIT %s
             FOR UPDATE SKIP LOCKED
            """,
            [now, limit],
        )
        rows = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        due = self.sudo()
        for row in rows:
            reason = row._still_due_reason()
            if reason:
                row._skip(reason)
            else:
                due |= row
        if not due:
            return []
        due.write({
            'state': 'claimed',
            'claimed_by': claimer,
            'lease_until': now + timedelta(seconds=lease_seconds),
        })
        return [row._claimed_purchase() for row in due]

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

    @api.model
    def _report(self, order_ids, state, claimer):
        """Record the outcome of a replica's claims; returns the number of orders changed."""
        if state not in REPORTABLE_STATES:
            raise UserError(_('Unknown TikTok purchase state %s.', state))
        ids = [int(order_id) for order_id in (order_ids or [])]
        rows = self.sudo().search([('sale_order_id', 'in', ids), *settled_by_claimer_domain(claimer, state)])
        rows.write({'state': state, 'lease_until': False,
                    'skip_reason': 'no_pixel' if state == 'skipped' else False})
        return len(rows)

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
