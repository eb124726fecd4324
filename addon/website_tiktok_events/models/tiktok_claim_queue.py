from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index

# The group of the sidecar's account: the only non-administrator who may call
# the queues' RPC methods (security/tiktok_security.xml).
SIDECAR_GROUP = 'website_tiktok_events.group_tiktok_sidecar'

STATES = [
    ('pending', 'To send'),
    ('claimed', 'Being sent'),
    ('sent', 'Sent'),
    ('failed', 'Refused by TikTok'),
    ('skipped', 'Not sent'),
]
# Outcomes the sidecar reports; 'sent' is final (a late report from another
# replica must not turn a delivered event into a failed one).
REPORTABLE_STATES = ('sent', 'failed', 'skipped')
DUE_STATES = ('pending', 'claimed')
MAX_CLAIM = 1000
# A lease shorter than a send could take would hand a row to a second replica
# while the first one sends it; longer than TikTok's window, it would outlive it.
MIN_LEASE_SECONDS = 10
MAX_LEASE_SECONDS = 7 * 24 * 3600


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


def more_skip_reasons(reasons):
    """The ``skip_reason`` of a queue extended by a bridge module with `reasons`
    ((key, label) pairs): rows skipped for one go back to no reason when the
    bridge is uninstalled."""
    return fields.Selection(selection_add=reasons, ondelete=dict.fromkeys(dict(reasons), 'set null'))


class TikTokClaimQueue(models.AbstractModel):
    """The mechanics every queue the sidecar claims from shares (one model per
    kind of event, as a job queue serves every kind of job with one model).

    A row is due while 'pending', or 'claimed' by a replica whose lease expired.
    Replicas claim with ``FOR UPDATE SKIP LOCKED`` (never the same row at the
    same time), each claim leased to one replica, and only that replica settles
    what it claimed. A queue says what its rows are about:

    - ``skip_reason``: a selection of why a row was not sent ('no_pixel' among them);
    - ``_claim_entry()``: a due row's entry in the claim's answer, or why it is no longer due;
    - ``_report_key``: the field (and its type) a report names rows by.
    """
    _name = 'tiktok.claim.queue'
    _description = 'TikTok claim queue'
    _order = 'queued_at, id'
    _rec_name = 'event_id'

    # (field, type) a report names its rows by.
    _report_key = ('event_id', str)

    event_id = fields.Char(required=True, readonly=True)
    state = fields.Selection(STATES, required=True, default='pending', readonly=True)
    queued_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True,
                                help='When the event became due; its event_time.')
    claimed_by = fields.Char(readonly=True)
    lease_until = fields.Datetime(readonly=True)

    def init(self):
        super().init()
        if self._abstract:
            return
        # The poller's query touches only due rows: its cost must not grow with
        # the number of events already sent.
        create_index(
            self.env.cr, '%s_due_index' % self._table, self._table, ['queued_at', 'id'],
            where="state IN ('pending', 'claimed')",
        )

    def _skip(self, reason):
        self.sudo().write({'state': 'skipped', 'skip_reason': reason, 'lease_until': False})

    def _claim_entry(self):
        """(the entry a claim hands out for this row, None), or (None, why it may no longer be sent)."""
        raise NotImplementedError

    @api.model
    def _claim(self, limit, lease_seconds, claimer):
        """Claim due rows for one sidecar replica; returns their entries.

        Rows locked by a concurrent claim are skipped, so replicas never claim
        the same row at the same time; the event id stays the row's, so a
        re-claim after a crash can only resend, never duplicate. A row that is
        no longer due is skipped with its reason.
        """
        limit, lease_seconds = claim_bounds(limit, lease_seconds)
        claimer = claimer_name(claimer)
        # The clock leases are written with (SQL now() is the transaction's start).
        now = fields.Datetime.now()
        self.flush_model(['state', 'queued_at', 'lease_until'])
        self.env.cr.execute(SQL(
            """
            SELECT id FROM %s
             WHERE state IN ('pending', 'claimed')
               AND (state = 'pending' OR lease_until IS NULL OR lease_until < %s)
             ORDER BY queued_at, id
             LIMIT %s
             FOR UPDATE SKIP LOCKED
            """,
            SQL.identifier(self._table), now, limit,
        ))
        rows = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        due, claimed = self.sudo(), []
        for row in rows:
            entry, reason = row._claim_entry()
            if reason:
                row._skip(reason)
            else:
                due |= row
                claimed.append(entry)
        if due:
            due.write({
                'state': 'claimed',
                'claimed_by': claimer,
                'lease_until': now + timedelta(seconds=lease_seconds),
            })
        return claimed

    def _unknown_state_error(self, state):
        return UserError(_('Unknown TikTok event state %s.', state))

    @api.model
    def _report(self, keys, state, claimer):
        """Record the outcome of the rows `claimer` claimed, named by `_report_key`; returns the number changed."""
        if state not in REPORTABLE_STATES:
            raise self._unknown_state_error(state)
        field, kind = self._report_key
        rows = self.sudo().search([(field, 'in', [kind(key) for key in (keys or [])]),
                                   *settled_by_claimer_domain(claimer, state)])
        rows.write({'state': state, 'lease_until': False,
                    'skip_reason': 'no_pixel' if state == 'skipped' else False})
        return len(rows)
