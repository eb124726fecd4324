import copy
import itertools
import time
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import new_test_user

from .common import GLOBAL_PIXEL, SIDECAR_GROUPS, TikTokCase

# An hour ago: within the retention whatever the test machine's clock says.
DEAD_AT = int(time.time()) - 3600
# One run of the replica: each report gets the next number, as the sidecar numbers them.
STARTED_AT = int(time.time()) - 3600
RUN_ID = 'run-0001-of-the-tests'
_REPORT_NUMBERS = itertools.count(1)


def a_report(replica='shop-sidecar-1:4242', **overrides):
    """A report of docs/CONTRACTS.md §7, with times close to now."""
    now = int(time.time())
    report = {
        'replica': replica, 'version': '0.1.0', 'mode': 'odoo',
        'started_at': STARTED_AT, 'run_id': RUN_ID, 'seq': next(_REPORT_NUMBERS), 'sent_at': now,
        'poll_interval_seconds': 5,
        'outbox': {'pending': 3, 'in_flight': 0, 'delivered': 1200, 'dead': 1},
        'counters': [],
        'latency_ms': {'p50': 800, 'p95': 2100, 'max': 4000},
        'lanes': [{'pixel_id': GLOBAL_PIXEL, 'test': False, 'state': 'running'}],
        'match_keys': {},
        'dead_letters': [],
        'test_events': [],
    }
    report.update(copy.deepcopy(overrides))
    return report


def a_counter(event='AddToCart', website_id=1, **counts):
    return {'website_id': website_id, 'event': event, 'accepted': 0, 'delivered': 0, 'retried': 0, 'dead': 0,
            **counts}


def a_dead_letter(outbox_id=12, dead_at=DEAD_AT, **values):
    return {'id': outbox_id, 'pixel_id': GLOBAL_PIXEL, 'event': 'AddToCart', 'event_id': 'evt-%d' % outbox_id,
            'event_time': dead_at - 100, 'dead_at': dead_at, 'code': 40002,
            'message': 'Invalid parameter: content_id', **values}


class ControlRoomCase(TikTokCase):
    """A shop with TikTok on, a least-privilege sidecar user and an administrator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sidecar = new_test_user(cls.env, 'tt_cr_sidecar', groups=SIDECAR_GROUPS)
        cls.admin = cls.env.ref('base.user_admin')
        cls.Report = cls.env['tiktok.sidecar.report'].with_user(cls.sidecar)

    def silence(self, replica, seconds=120):
        """As if `replica`'s current run had not reported for `seconds` (a stopped process)."""
        row = self.env['tiktok.sidecar.report'].sudo().search([('replica', '=', replica)])
        row.last_seen = row.last_seen - timedelta(seconds=seconds)

    def assertRefused(self, report, *fragments):
        """The report is refused (422 over JSON-2) with a message naming each fragment."""
        with self.assertRaises(UserError) as caught:
            self.Report.tiktok_report(report)
        message = str(caught.exception)
        self.assertIn('The TikTok sidecar report was refused', message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def report(self, replica='shop-sidecar-1:4242', **overrides):
        return self.Report.tiktok_report(a_report(replica, **overrides))

    def daily(self, event='AddToCart', website=None):
        return self.env['tiktok.event.daily'].search([
            ('event', '=', event), ('website_id', '=', (website or self.website).id)])
