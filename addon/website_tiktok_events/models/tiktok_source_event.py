import calendar
import re
from datetime import timedelta

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import hmac
from odoo.tools.sql import create_index

from ..tools import hashing
from ..tools.page_config import without_empty
from .tiktok_server_event import (
    EVENT_ID_SCOPE, REPORTABLE_STATES, check_sidecar_caller, claim_bounds, claimer_name, settled_by_claimer_domain,
)

# Sources of the Events API other than the web pixel (docs/CONTRACTS.md §8).
EVENT_SOURCES = [
    ('crm', 'CRM'),
    ('offline', 'Offline'),
]
STATES = [
    ('pending', 'To send'),
    ('claimed', 'Being sent'),
    ('sent', 'Sent'),
    ('failed', 'Refused by TikTok'),
    ('skipped', 'Not sent'),
]
SKIP_REASONS = [
    ('gone', 'The record it was about no longer exists'),
    ('no_match_keys', 'Nothing identifies the person (no e-mail, phone or TikTok lead id)'),
    ('not_due', 'The record no longer qualifies'),
    ('no_pixel', 'The website has no usable TikTok access token'),
]
# An event set id as TikTok shows it in Events Manager: letters and digits
# (kept loose on purpose, but never anything that could break a lane key).
EVENT_SET_ID = re.compile(r'^[A-Za-z0-9_-]{1,64}$')


def events_api_match_keys(email=None, phone=None, country=None, external_id=None):
    """The hashed keys of an Events API `user`: as ttq.identify's, with the
    phone under the name the Events API gives it. ``country``: the person's
    ``res.country``, in which a national phone number is read."""
    keys = hashing.identify_payload(email=email, phone=phone, country=country, external_id=external_id)
    if 'phone_number' in keys:
        keys['phone'] = keys.pop('phone_number')
    return keys


class TikTokSourceEvent(models.Model):
    """A server-side event of a non-web source (CRM lead stages, offline sales).

    The queue of `tiktok.server.event` (web Purchases) generalized by source:
    each row names its source and event set, the website whose access token
    sends it, and the record it is about (`res_model`, `res_id`). The event's
    payload is built at claim time by that record's model
    (`_tiktok_source_event_data`), so the bridge modules only decide *when* an
    event is due; claims, leases, skips and outcomes are shared.

    Ordinary users have no access at all: rows are created by the bridges'
    superuser code from trusted paths and moved by the sidecar's RPC methods.
    """
    _name = 'tiktok.source.event'
    _description = 'TikTok event of a non-web source'
    _order = 'queued_at, id'
    _rec_name = 'event_id'

    event_source = fields.Selection(EVENT_SOURCES, required=True, readonly=True)
    event_source_id = fields.Char('Event set id', required=True, readonly=True)
    website_id = fields.Many2one('website', required=True, ondelete='cascade', readonly=True,
                                 help='The website whose Events API access token sends the event.')
    event = fields.Char('Event name', required=True, readonly=True, help='The event name TikTok receives.')
    event_id = fields.Char('Event id', required=True, readonly=True)
    res_model = fields.Char('Record model', required=True, readonly=True)
    res_id = fields.Many2oneReference('Record id', model_field='res_model', required=True, readonly=True)
    state = fields.Selection(STATES, required=True, default='pending', readonly=True)
    skip_reason = fields.Selection(SKIP_REASONS, readonly=True)
    queued_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True,
                                help='When the event happened; its event_time.')
    claimed_by = fields.Char(readonly=True)
    lease_until = fields.Datetime(readonly=True)

    _event_id_unique = models.Constraint('UNIQUE(event_id)', 'TikTok event ids are unique.')

    def init(self):
        super().init()
        create_index(
            self.env.cr, 'tiktok_source_event_due_index', self._table, ['queued_at', 'id'],
            where="state IN ('pending', 'claimed')",
        )
        create_index(self.env.cr, 'tiktok_source_event_record_index', self._table, ['res_model', 'res_id'])

    # ------------------------------------------------------------------
    # Trusted paths (private, superuser; for the bridge modules)
    # ------------------------------------------------------------------

    @api.model
    def _source_event_id(self, event_source, record, key):
        """Deterministic and unguessable: an HMAC of (model, id, key) with the
        database secret. One id per (record, key): queuing it twice is a no-op."""
        digest = hmac(self.env(su=True), EVENT_ID_SCOPE, (record._name, record.id, str(key)))
        return '%s-%s' % (event_source, digest[:32])

    @api.model
    def _queue(self, entries):
        """Queue events once per (record, key); returns the rows created.

        `entries`: dicts with event_source, event_source_id, website (record),
        event (TikTok name), record, key.
        """
        queue = self.sudo()
        values = []
        for entry in entries:
            record = entry['record']
            event_id = queue._source_event_id(entry['event_source'], record, entry['key'])
            if not EVENT_SET_ID.match(entry['event_source_id'] or ''):
                continue
            values.append({
                'event_source': entry['event_source'],
                'event_source_id': entry['event_source_id'],
                'website_id': entry['website'].id,
                'event': entry['event'],
                'event_id': event_id,
                'res_model': record._name,
                'res_id': record.id,
                'queued_at': entry.get('queued_at') or fields.Datetime.now(),
            })
        if not values:
            return queue
        known = set(queue.search([('event_id', 'in', [v['event_id'] for v in values])]).mapped('event_id'))
        fresh, seen = [], set()
        for vals in values:
            if vals['event_id'] not in known and vals['event_id'] not in seen:
                seen.add(vals['event_id'])
                fresh.append(vals)
        try:
            with self.env.cr.savepoint():
                return queue.create(fresh)
        except psycopg2.IntegrityError:
            # A concurrent transaction queued one of them meanwhile (the same lead
            # moved twice at once): keep the others, the event exists once.
            created = queue
            for vals in fresh:
                try:
                    with self.env.cr.savepoint():
                        created |= queue.create(vals)
                except psycopg2.IntegrityError:
                    continue
            return created

    def _skip(self, reason):
        self.sudo().write({'state': 'skipped', 'skip_reason': reason, 'lease_until': False})

    # ------------------------------------------------------------------
    # Sidecar RPC
    # ------------------------------------------------------------------

    @api.model
    def tiktok_claim_source_events(self, limit=50, lease_seconds=600, claimer=''):
        """Claim due events of non-web sources for one sidecar replica (docs/CONTRACTS.md §8)."""
        check_sidecar_caller(self.env)
        return self.sudo()._claim(limit, lease_seconds, claimer)

    @api.model
    def tiktok_mark_source_events(self, event_ids, state, claimer=''):
        """Record the outcome of the events `claimer` claimed, by event id; returns the number changed."""
        check_sidecar_caller(self.env)
        return self.sudo()._report(event_ids, state, claimer)

    @api.model
    def _claim(self, limit, lease_seconds, claimer):
        """As `tiktok.server.event._claim`: due rows, SKIP LOCKED, a lease per replica."""
        limit, lease_seconds = claim_bounds(limit, lease_seconds)
        claimer = claimer_name(claimer)
        now = fields.Datetime.now()
        self.flush_model(['state', 'queued_at', 'lease_until'])
        self.env.cr.execute(
            """
            SELECT id FROM tiktok_source_event
             WHERE state IN ('pending', 'claimed')
               AND (state = 'pending' OR lease_until IS NULL OR lease_until < %s)
             ORDER BY queued_at, id
             LIMIT %s
             FOR UPDATE SKIP LOCKED
            """,
            [now, limit],
        )
        rows = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        due, claimed = self.sudo(), []
        for row in rows:
            data, reason = row._source_data()
            if reason:
                row._skip(reason)
            else:
                due |= row
                claimed.append(row._claimed_entry(data))
        if due:
            due.write({
                'state': 'claimed',
                'claimed_by': claimer,
                'lease_until': now + timedelta(seconds=lease_seconds),
            })
        return claimed

    def _source_data(self):
        """(payload parts, None), or (None, skip reason) when the event may no longer be sent."""
        self.ensure_one()
        if self.res_model not in self.env:
            return None, 'gone'
        record = self.env[self.res_model].sudo().with_context(active_test=False).browse(self.res_id).exists()
        if not record:
            return None, 'gone'
        return record._tiktok_source_event_data(self)

    def _claimed_entry(self, data):
        """One entry of tiktok_claim_source_events() (docs/CONTRACTS.md §8)."""
        self.ensure_one()
        return without_empty({
            'website_id': self.website_id.id,
            'event_source': self.event_source,
            'event_source_id': self.event_source_id,
            'event': self.event,
            'event_id': self.event_id,
            # Odoo datetimes are naive UTC.
            'event_time': calendar.timegm(self.queued_at.timetuple()),
            **data,
        })

    @api.model
    def _report(self, event_ids, state, claimer):
        if state not in REPORTABLE_STATES:
            raise UserError(_('Unknown TikTok event state %s.', state))
        ids = [str(event_id) for event_id in (event_ids or [])]
        rows = self.sudo().search([('event_id', 'in', ids), *settled_by_claimer_domain(claimer, state)])
        rows.write({'state': state, 'lease_until': False,
                    'skip_reason': 'no_pixel' if state == 'skipped' else False})
        return len(rows)
