import calendar
import re

import psycopg2

from odoo import api, fields, models
from odoo.tools.misc import hmac
from odoo.tools.sql import create_index

from ..tools import hashing
from ..tools.page_config import without_empty
from .tiktok_claim_queue import check_sidecar_caller
from .tiktok_server_event import EVENT_ID_SCOPE

# Sources of the Events API other than the web pixel (docs/CONTRACTS.md §8).
EVENT_SOURCES = [
    ('crm', 'CRM'),
    ('offline', 'Offline'),
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
    _inherit = ['tiktok.claim.queue']
    _description = 'TikTok event of a non-web source'
    _report_key = ('event_id', str)

    event_source = fields.Selection(EVENT_SOURCES, required=True, readonly=True)
    event_source_id = fields.Char('Event set id', required=True, readonly=True)
    website_id = fields.Many2one('website', required=True, ondelete='cascade', readonly=True,
                                 help='The website whose Events API access token sends the event.')
    event = fields.Char('Event name', required=True, readonly=True, help='The event name TikTok receives.')
    event_id = fields.Char('Event id')
    res_model = fields.Char('Record model', required=True, readonly=True)
    res_id = fields.Many2oneReference('Record id', model_field='res_model', required=True, readonly=True)
    skip_reason = fields.Selection(SKIP_REASONS, readonly=True)
    queued_at = fields.Datetime(help='When the event happened; its event_time.')

    _event_id_unique = models.Constraint('UNIQUE(event_id)', 'TikTok event ids are unique.')

    def init(self):
        super().init()
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

    def _source_data(self):
        """(payload parts, None), or (None, skip reason) when the event may no longer be sent."""
        self.ensure_one()
        if self.res_model not in self.env:
            return None, 'gone'
        record = self.env[self.res_model].sudo().with_context(active_test=False).browse(self.res_id).exists()
        if not record:
            return None, 'gone'
        return record._tiktok_source_event_data(self)

    def _claim_entry(self):
        """One entry of tiktok_claim_source_events() (docs/CONTRACTS.md §8), or
        why the event may no longer be sent (see the queue's `_claim`)."""
        data, reason = self._source_data()
        if reason:
            return None, reason
        return self._claimed_entry(data), None

    def _claimed_entry(self, data):
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
