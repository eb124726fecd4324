import json
import time
from datetime import datetime, timedelta, timezone

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.control_room import REPLICA_FORGET_DAYS, replica_status
from ..tools.report_contract import LATENCY_KEYS, OUTBOX_KEYS, ReportError, clean_report, summed_counters
from .tiktok_server_event import check_sidecar_caller

# The last report kept on the replica's row, beyond its own fields: at most
# this many bytes of JSON (counters are dropped from it first).
STORED_REPORT_MAX_BYTES = 64 * 1024


def from_unix(seconds):
    """Unix seconds as Odoo's naive UTC datetime (None stays False)."""
    if seconds is None:
        return False
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def to_unix(value):
    return value.replace(tzinfo=timezone.utc).timestamp()


def stored_report(report):
    """The report kept for inspection: its own models hold the dead letters and
    test answers; when still too large, the counters are left out too."""
    kept = {key: value for key, value in report.items() if key not in ('dead_letters', 'test_events')}
    if len(json.dumps(kept)) > STORED_REPORT_MAX_BYTES:
        kept['counters'] = '%d entries, not kept' % len(kept['counters'])
    return kept


class TikTokSidecarReport(models.Model):
    """The last report of each sidecar replica (docs/CONTRACTS.md §7).

    One row per replica. Only tiktok_report() writes here (as superuser, after
    checking its caller); administrators read. The report is checked and
    stripped to the contract before anything is stored: it carries counters,
    lane states, TikTok's codes and messages, event ids, and no personal data.
    """
    _name = 'tiktok.sidecar.report'
    _description = 'TikTok sidecar replica'
    _order = 'last_seen desc, id desc'
    _rec_name = 'replica'

    replica = fields.Char(required=True, readonly=True, index=True)
    version = fields.Char(readonly=True)
    mode = fields.Char(readonly=True)
    started_at = fields.Datetime(string='Started', readonly=True)
    first_seen = fields.Datetime(readonly=True)
    last_seen = fields.Datetime(readonly=True, help="When Odoo received the replica's last report.")
    sent_at = fields.Datetime(string='Report sent at', readonly=True, help="The replica's own clock.")
    reporter_id = fields.Many2one('res.users', string='Reported as', readonly=True, ondelete='set null')
    poll_interval = fields.Integer(string='Report interval (s)', readonly=True)
    report_count = fields.Integer(readonly=True)
    last_seq = fields.Integer(string='Last report number', readonly=True,
                              help='Number of the last report of this run whose counts were added.')
    outbox_pending = fields.Integer(string='Waiting', readonly=True)
    outbox_in_flight = fields.Integer(string='Being sent', readonly=True)
    outbox_delivered = fields.Integer(string='Delivered (outbox)', readonly=True)
    outbox_dead = fields.Integer(string='Dead letters (outbox)', readonly=True)
    latency_p50 = fields.Integer(string='Latency p50 (ms)', readonly=True)
    latency_p95 = fields.Integer(string='Latency p95 (ms)', readonly=True)
    latency_max = fields.Integer(string='Latency max (ms)', readonly=True)
    lanes = fields.Json(readonly=True)
    match_keys = fields.Json(readonly=True)
    last_report = fields.Json(readonly=True)
    status = fields.Selection([('connected', 'Connected'), ('lagging', 'Lagging'), ('down', 'Down')],
                              compute='_compute_status')
    dead_letter_ids = fields.One2many('tiktok.dead.letter', 'report_id', readonly=True)

    _replica_unique = models.Constraint('UNIQUE(replica)', 'One row per sidecar replica.')

    @api.depends('last_seen', 'poll_interval')
    def _compute_status(self):
        now = time.time()
        for replica in self:
            replica.status = replica_status(now - to_unix(replica.last_seen), replica.poll_interval) \
                if replica.last_seen else 'down'

    # ------------------------------------------------------------------
    # Sidecar RPC
    # ------------------------------------------------------------------

    @api.model
    def tiktok_report(self, report):
        """A replica's report in, Odoo's requests out (docs/CONTRACTS.md §7).

        Callable over RPC by the "TikTok sidecar" group and administrators only.
        """
        check_sidecar_caller(self.env)
        now = fields.Datetime.now()
        try:
            cleaned = clean_report(report, to_unix(now))
        except ReportError as problem:
            raise UserError(self.env._('The TikTok sidecar report was refused: %(problem)s.',
                                       problem=problem)) from None
        return self.sudo()._intake(cleaned, now, self.env.user)

    def _intake(self, report, now, reporter):
        # A report whose answer was lost comes again under its number: its
        # counts are added once (docs/CONTRACTS.md §7).
        previous = self.search([('replica', '=', report['replica'])], limit=1)
        repeat = (bool(previous) and previous.started_at == from_unix(report['started_at'])
                  and report['seq'] <= previous.last_seq)
        replica = self._replica_row(report, now, reporter)
        websites = self.env['website'].with_context(active_test=False).search([])
        today = now.date()
        if not repeat:
            known = set(websites.ids)
            sums = summed_counters([
                {**entry, 'website_id': entry['website_id'] if entry['website_id'] in known else None}
                for entry in report['counters']
            ])
            self.env['tiktok.event.daily']._add(today, sums)
            self.env['tiktok.match.daily']._add(today, report['match_keys'])
        website_by_pixel = {}
        for website in websites.sorted('id'):
            website_by_pixel.setdefault(website._tiktok_resolved_settings()['pixel_id'], website.id)
        DeadLetter = self.env['tiktok.dead.letter']
        TestEvent = self.env['tiktok.test.event']
        DeadLetter._mirror(replica, report['dead_letters'], website_by_pixel)
        TestEvent._record_answers(replica, report['test_events'])
        self._prune(replica, now)
        return {
            'ok': True,
            'send_again': DeadLetter._hand_over(replica),
            'test_events': TestEvent._hand_over(replica, now),
        }

    def _replica_row(self, report, now, reporter):
        values = {
            'version': report['version'],
            'mode': report['mode'],
            'started_at': from_unix(report['started_at']),
            'sent_at': from_unix(report['sent_at']),
            'last_seen': now,
            'reporter_id': reporter.id,
            'poll_interval': report['poll_interval_seconds'] or 0,
            'last_seq': report['seq'],
            'lanes': report['lanes'],
            'match_keys': report['match_keys'],
            'last_report': stored_report(report),
            **{'outbox_%s' % key: report['outbox'][key] for key in OUTBOX_KEYS},
            **{'latency_%s' % key: report['latency_ms'][key] for key in LATENCY_KEYS},
        }
        replica = self.search([('replica', '=', report['replica'])], limit=1)
        if replica:
            replica.write({**values, 'report_count': replica.report_count + 1})
            return replica
        return self.create({**values, 'replica': report['replica'], 'first_seen': now, 'report_count': 1})

    def _prune(self, replica, now):
        """Everything the reports leave behind stays bounded."""
        today = now.date()
        self.env['tiktok.event.daily']._prune(today)
        self.env['tiktok.match.daily']._prune(today)
        self.env['tiktok.dead.letter']._prune(replica, now)
        self.env['tiktok.test.event']._prune(now)
        self.search([('last_seen', '<', now - timedelta(days=REPLICA_FORGET_DAYS))]).unlink()
