import json
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.http import request

from ..tools.control_room import REPLICA_FORGET_DAYS, replica_status
from ..tools.report_contract import (
    LATENCY_KEYS, MAX_REPORT_BYTES, OUTBOX_KEYS, ReportError, clean_report, read_source_lane, saturating_sum,
    summed_counters,
)
from ..tools.timestamps import from_unix, to_unix
from .tiktok_claim_queue import check_sidecar_caller
from .tiktok_content_daily import summed_contents

# The last report kept on the replica's row, beyond its own fields: at most
# this many bytes of JSON (counters are dropped from it first).
STORED_REPORT_MAX_BYTES = 64 * 1024
# Earlier runs of a replica remembered, so that a report of one is refused.
REMEMBERED_RUNS = 20


def request_too_large(max_bytes=MAX_REPORT_BYTES):
    """The current HTTP request's body is larger than a report may be (XML-RPC
    reaches the method through Odoo's generic route, which reads any size; the
    JSON-2 route of controllers/sidecar.py refuses before reading)."""
    return bool(request) and (request.httprequest.content_length or 0) > max_bytes


def stored_report(report):
    """The report kept for inspection: its own models hold the dead letters and
    test answers; when still too large, the counters are left out too."""
    kept = {key: value for key, value in report.items() if key not in ('dead_letters', 'test_events', 'contents')}
    if len(json.dumps(kept)) > STORED_REPORT_MAX_BYTES:
        kept['counters'] = '%d entries, not kept' % len(kept['counters'])
    return kept


def latency_values(report, now):
    """The latencies a report measured, when it delivered anything: a report
    without deliveries says 0 ms for want of a measure, and the last figure
    known (with its date) is worth more than that."""
    if not any(counter['delivered'] for counter in report['counters']):
        return {}
    return {'latency_measured_at': now, **{'latency_%s' % key: report['latency_ms'][key] for key in LATENCY_KEYS}}


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
    run_id = fields.Char(string='Run', readonly=True, help='The id of the run (process) of the replica that reports.')
    past_run_ids = fields.Json(string='Earlier runs', readonly=True,
                               help='The latest earlier runs of this replica: their reports are refused.')
    outbox_pending = fields.Integer(string='Waiting', readonly=True)
    outbox_in_flight = fields.Integer(string='Being sent', readonly=True)
    outbox_delivered = fields.Integer(string='Delivered (outbox)', readonly=True)
    outbox_dead = fields.Integer(string='Dead letters (outbox)', readonly=True)
    latency_p50 = fields.Integer(string='Latency p50 (ms)', readonly=True)
    latency_p95 = fields.Integer(string='Latency p95 (ms)', readonly=True)
    latency_max = fields.Integer(string='Latency max (ms)', readonly=True)
    latency_measured_at = fields.Datetime(
        string='Latency measured on', readonly=True,
        help='When the last report that delivered events came: the latencies are of its deliveries.')
    lanes = fields.Json(readonly=True)
    match_keys = fields.Json(readonly=True)
    contents_unrecorded = fields.Integer(
        string='Content ids not counted', readonly=True,
        help='Content ids the replica delivered but could not report for the catalog match: more distinct ids '
             'in one report interval than a report carries, or ids no catalog could hold.')
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
            if request_too_large():
                raise ReportError('the report is larger than %d bytes' % MAX_REPORT_BYTES)
            cleaned = clean_report(report, to_unix(now))
            previous = self.sudo().search([('replica', '=', cleaned['replica'])], limit=1)
            repeat = previous._is_repeat(cleaned, now) if previous else False
        except ReportError as problem:
            raise UserError(self.env._('The TikTok sidecar report was refused: %(problem)s.',
                                       problem=problem)) from None
        return self.sudo()._intake(cleaned, now, self.env.user, repeat)

    def _is_repeat(self, report, now):
        """True when `report` is the replica's last one again (its answer was
        lost: its counts were added already, docs/CONTRACTS.md §7); False when
        it is new. ReportError when it is older: a report of an earlier run, or
        of this run under a number already passed, would count again or show
        the past as the present; and when it is of another run while the
        replica's run is alive: the name is that run's until it missed two
        reports (a restarted replica waits that long), so a second process
        under the same name (a copied SIDECAR_REPLICA_ID, or somebody holding
        the sidecar's key) never takes the live one's "send again" and test
        event requests."""
        self.ensure_one()
        if report['run_id'] == self.run_id:
            if report['seq'] < self.last_seq:
                raise ReportError('seq %d of this run comes after report %d: an old report sent again'
                                  % (report['seq'], self.last_seq))
            return report['seq'] == self.last_seq
        if report['run_id'] in (self.past_run_ids or []):
            raise ReportError('run_id is an earlier run of replica %s: a report of a stopped process sent '
                              'again, or two sidecars sharing one SIDECAR_REPLICA_ID' % self.replica)
        if self.run_id and self.last_seen and self._run_alive(now):
            raise ReportError('replica %s is reporting as another run (last report %d s ago): two sidecars share '
                              'one SIDECAR_REPLICA_ID, or this one restarted and is taken once the previous run '
                              'missed two reports' % (self.replica, to_unix(now) - to_unix(self.last_seen)))
        return False

    def _run_alive(self, now):
        """The replica's current run still reports: not "down" at `now`."""
        self.ensure_one()
        return replica_status(to_unix(now) - to_unix(self.last_seen), self.poll_interval) != 'down'

    def _intake(self, report, now, reporter, repeat):
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
            self.env['tiktok.content.daily']._add(today, summed_contents(report['contents'], known))
            if report['contents_unrecorded']:
                replica.contents_unrecorded = saturating_sum(replica.contents_unrecorded,
                                                             report['contents_unrecorded'])
        website_by_pixel = {}
        for website in websites.sorted('id'):
            website_by_pixel.setdefault(website._tiktok_resolved_settings()['pixel_id'], website.id)
        # A lane of another source names the website whose token sends it.
        for letter in report['dead_letters']:
            source = read_source_lane(letter['pixel_id'])
            if source and source[1] in websites.ids:
                website_by_pixel[letter['pixel_id']] = source[1]
        DeadLetter = self.env['tiktok.dead.letter']
        TestEvent = self.env['tiktok.test.event']
        DeadLetter._mirror(replica, report['dead_letters'], website_by_pixel)
        TestEvent._record_answers(replica, report['test_events'])
        self._prune(replica, now)
        self.env['tiktok.alert']._tiktok_sync_alerts()
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
            'run_id': report['run_id'],
            'lanes': report['lanes'],
            'match_keys': report['match_keys'],
            'last_report': stored_report(report),
            **{'outbox_%s' % key: report['outbox'][key] for key in OUTBOX_KEYS},
            **latency_values(report, now),
        }
        replica = self.search([('replica', '=', report['replica'])], limit=1)
        if replica:
            if replica.run_id and replica.run_id != report['run_id']:
                values['past_run_ids'] = ([replica.run_id] + (replica.past_run_ids or []))[:REMEMBERED_RUNS]
            replica.write({**values, 'report_count': replica.report_count + 1})
            return replica
        return self.create({**values, 'replica': report['replica'], 'first_seen': now, 'report_count': 1})

    def _prune(self, replica, now):
        """Everything the reports leave behind stays bounded."""
        today = now.date()
        self.env['tiktok.event.daily']._prune(today)
        self.env['tiktok.match.daily']._prune(today)
        self.env['tiktok.content.daily']._prune(today)
        self.env['tiktok.content.alias']._prune(now)
        self.env['tiktok.dead.letter']._prune(replica, now)
        self.env['tiktok.test.event']._prune(now)
        self.search([('last_seen', '<', now - timedelta(days=REPLICA_FORGET_DAYS))]).unlink()
