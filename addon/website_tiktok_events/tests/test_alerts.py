from unittest.mock import patch

import psycopg2

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.website_tiktok_events.tools.control_room import (
    MAX_OPEN_ALERTS, incident_key, lane_incidents, reconcile_incidents, replica_incidents,
)
from .common import GLOBAL_PIXEL
from .control_room_common import ControlRoomCase

REFUSED = {'pixel_id': GLOBAL_PIXEL, 'test': False, 'state': 'paused', 'reason': 'token_refused', 'code': 40105,
           'message': 'Access token is incorrect or has been revoked.'}
RUNNING = {'pixel_id': GLOBAL_PIXEL, 'test': False, 'state': 'running'}


@tagged('post_install', '-at_install')
class TestIncidentRules(ControlRoomCase):
    """The pure rules: incidents keyed by kind and subject, reconciled against the open alerts."""

    def test_reconcile_opens_the_new_and_closes_the_cleared(self):
        self.assertEqual(reconcile_incidents({'a': 1, 'b': 2}, {'b', 'c'}), (['a'], ['c']))
        self.assertEqual(reconcile_incidents({'a': 1}, {'a'}), ([], []))
        self.assertEqual(reconcile_incidents({}, set()), ([], []))
        # Never more than the cap open: the room left by what closes, in a stable order.
        self.assertEqual(reconcile_incidents({'a', 'b', 'c', 'd'}, {'a', 'x'}, max_open=3), (['b', 'c'], ['x']))
        self.assertEqual(reconcile_incidents({'a', 'b', 'c'}, {'a', 'b', 'c'}, max_open=2), ([], []))

    def test_one_incident_per_lane_and_per_replica_down(self):
        paused = dict(REFUSED)
        other = {'pixel_id': 'COTHERPIXEL000000003', 'test': True, 'state': 'paused', 'reason': 'no_token'}
        replicas = [('r1', 'connected', [paused, RUNNING]), ('r2', 'lagging', [paused, other]),
                    ('r3', 'down', [{'pixel_id': 'CDOWNPIXEL0000000004', 'state': 'paused', 'reason': 'no_token'}])]
        self.assertEqual(sorted(lane_incidents(replicas)),
                         ['lane_paused:COTHERPIXEL000000003:test', 'token_refused:%s:live' % GLOBAL_PIXEL])
        self.assertEqual(list(replica_incidents(replicas)), ['replica_down:r3'])
        with self.assertRaises(ValueError):
            incident_key('whatever', 'x')


@tagged('post_install', '-at_install')
class TestAlerts(ControlRoomCase):
    """Administrators get one activity per incident, closed when it clears; never one per report."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second_admin = new_test_user(cls.env, 'tt_alert_admin', groups='base.group_user,base.group_system')
        cls.salesman = new_test_user(cls.env, 'tt_alert_salesman',
                                     groups='base.group_user,sales_team.group_sale_salesman')
        cls.Alert = cls.env['tiktok.alert']

    def open_alerts(self):
        return self.Alert.search([('state', '=', 'open')])

    def test_a_refused_token_opens_one_alert_with_one_activity_per_administrator_until_it_clears(self):
        self.report(lanes=[REFUSED])
        [alert] = self.open_alerts()
        self.assertEqual((alert.key, alert.kind), ('token_refused:%s:live' % GLOBAL_PIXEL, 'token_refused'))
        self.assertIn('TikTok refused the access token', alert.name)
        self.assertEqual(alert.website_id, self.website)
        admins = alert.activity_ids.user_id
        self.assertIn(self.admin, admins)
        self.assertIn(self.second_admin, admins)
        self.assertEqual(len(alert.activity_ids), len(admins))  # one each
        self.assertNotIn(self.sidecar, admins)
        self.assertNotIn(self.salesman, admins)
        activities = len(alert.activity_ids)
        # Every report while it lasts: still the one alert, the same activities.
        for _ in range(3):
            self.report(lanes=[REFUSED])
        self.assertEqual(self.open_alerts(), alert)
        self.assertEqual(len(alert.activity_ids), activities)
        self.assertEqual(self.Alert.search_count([]), 1)
        # Cleared: the alert closes, its activities are marked done with a note.
        self.report(lanes=[RUNNING])
        self.assertEqual(alert.state, 'closed')
        self.assertTrue(alert.closed_at)
        self.assertFalse(alert.activity_ids)
        self.assertIn('Cleared', ' '.join(alert.message_ids.mapped('body')))
        self.report(lanes=[RUNNING])
        self.assertFalse(self.open_alerts())
        # It happens again: a new alert.
        self.report(lanes=[REFUSED])
        self.assertEqual(len(self.open_alerts()), 1)
        self.assertEqual(self.Alert.search_count([]), 2)

    def test_a_replica_down_is_seen_by_the_others_and_by_the_cron(self):
        self.report('replica-a')
        self.report('replica-b')
        self.silence('replica-a', seconds=120)
        self.report('replica-b')
        self.assertEqual(self.open_alerts().mapped('key'), ['replica_down:replica-a'])
        # The last replica stops too: no report comes, the cron sees it.
        self.silence('replica-b', seconds=120)
        self.Alert._cron_tiktok_sync_alerts()
        self.assertEqual(sorted(self.open_alerts().mapped('key')), ['replica_down:replica-a', 'replica_down:replica-b'])
        # Back: cleared.
        self.report('replica-a')
        self.report('replica-b')
        self.assertFalse(self.open_alerts())

    def test_other_incidents_come_through_the_hook(self):
        """A module adds its incidents (the catalog's match rate): the same reconciliation opens and closes them."""
        key = incident_key('match_rate_low', self.website.id)
        low = {key: {'kind': 'match_rate_low', 'name': 'Match rate 72 %', 'website_id': self.website.id}}
        self.Alert._tiktok_sync_alerts(low)
        self.Alert._tiktok_sync_alerts(low)
        [alert] = self.open_alerts()
        self.assertEqual((alert.key, alert.name), (key, 'Match rate 72 %'))
        self.Alert._tiktok_sync_alerts({})
        self.assertEqual(alert.state, 'closed')

    def test_one_open_alert_per_incident_even_when_two_reports_race(self):
        incident = {'kind': 'replica_down', 'name': 'down', 'website_id': False}
        self.Alert._tiktok_open('replica_down:r9', incident)
        with mute_logger('odoo.sql_db'), self.assertRaises(psycopg2.IntegrityError), self.env.cr.savepoint():
            self.Alert._tiktok_open('replica_down:r9', incident)
        # Closed, the incident may open again later.
        self.open_alerts()._tiktok_close()
        self.Alert._tiktok_open('replica_down:r9', incident)
        self.assertEqual(self.Alert.search_count([('key', '=', 'replica_down:r9')]), 2)

    def test_a_failure_of_the_alerts_never_refuses_a_report(self):
        with patch.object(type(self.Alert), '_tiktok_apply_incidents',
                          side_effect=psycopg2.errors.UniqueViolation('raced')):
            answer = self.report(lanes=[REFUSED])
        self.assertTrue(answer['ok'])
        self.assertTrue(self.env['tiktok.sidecar.report'].search([('replica', '=', 'shop-sidecar-1:4242')]))

    def test_a_flood_of_lanes_and_replicas_opens_a_bounded_number_of_alerts(self):
        """Whoever holds the sidecar's key can report 200 lanes of pixels no website uses, and
        as many replicas as names: alerts come for the lanes a website sends only, and
        never more than MAX_OPEN_ALERTS at once."""
        strangers = [{'pixel_id': 'CSTRANGER%011d' % i, 'test': False, 'state': 'paused', 'reason': 'no_token'}
                     for i in range(200)]
        self.report(lanes=strangers)
        self.assertFalse(self.open_alerts())
        for i in range(MAX_OPEN_ALERTS + 5):
            self.report('flood-%02d' % i)
            self.silence('flood-%02d' % i)
        self.report(lanes=[REFUSED])
        self.assertEqual(len(self.open_alerts()), MAX_OPEN_ALERTS)
        self.assertLessEqual(len(self.open_alerts().activity_ids),
                             MAX_OPEN_ALERTS * len(self.Alert._tiktok_administrators()))

    def test_markup_in_a_lane_message_reaches_the_activity_as_text(self):
        self.report(lanes=[dict(REFUSED, message='<a href="https://evil.example">Fix it here</a>')])
        [alert] = self.open_alerts()
        note = str(alert.activity_ids[:1].note)
        self.assertIn('&lt;a href=', note)
        self.assertNotIn('<a ', note)  # neither the markup nor a link made of the address

    def test_only_administrators_read_alerts(self):
        self.report(lanes=[REFUSED])
        for groups in ('base.group_user', 'website.group_website_designer', 'base.group_portal'):
            user = new_test_user(self.env, 'tt_alert_%s' % groups.split('.')[-1], groups=groups)
            with self.assertRaises(AccessError, msg=groups):
                self.Alert.with_user(user).search([]).read(['name'])
        with self.assertRaises(AccessError):
            self.Alert.with_user(self.sidecar).search([]).read(['name'])
