import json
import threading
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.modules.registry import DummyRLock, Registry
from odoo.service.model import retrying
from odoo.tests import new_test_user, tagged

from odoo.addons.website_tiktok_events.models.tiktok_sidecar_report import STORED_REPORT_MAX_BYTES
from odoo.addons.website_tiktok_events.tools.control_room import RETENTION_DAYS
from odoo.addons.website_tiktok_events.tools.report_contract import clean_report, redact_contact_data
from .common import GLOBAL_PIXEL
from .control_room_common import DEAD_AT, ControlRoomCase, a_counter, a_dead_letter, a_report

REPORT_MODELS = ('tiktok.sidecar.report', 'tiktok.event.daily', 'tiktok.match.daily', 'tiktok.dead.letter',
                 'tiktok.test.event')


@tagged('post_install', '-at_install')
class TestReportAccess(ControlRoomCase):

    def test_sidecar_group_and_administrators_may_report(self):
        self.assertEqual(self.report(), {'ok': True, 'send_again': [], 'test_events': []})
        answer = self.env['tiktok.sidecar.report'].with_user(self.admin).tiktok_report(a_report('admin-run'))
        self.assertTrue(answer['ok'])
        self.assertEqual(self.env['tiktok.sidecar.report'].search([]).mapped('replica'),
                         ['admin-run', 'shop-sidecar-1:4242'])

    def test_everybody_else_is_refused(self):
        refused = [
            new_test_user(self.env, 'tt_cr_portal', groups='base.group_portal'),
            new_test_user(self.env, 'tt_cr_internal', groups='base.group_user'),
            new_test_user(self.env, 'tt_cr_salesman', groups='sales_team.group_sale_salesman_all_leads'),
            new_test_user(self.env, 'tt_cr_designer', groups='website.group_website_designer'),
            self.env.ref('base.public_user'),
        ]
        for user in refused:
            with self.assertRaises(AccessError, msg=user.login):
                self.env['tiktok.sidecar.report'].with_user(user).tiktok_report(a_report())
        self.assertFalse(self.env['tiktok.sidecar.report'].search([]))

    def test_what_the_sidecar_reports_is_unwritable_and_readable_by_administrators_only(self):
        self.report(counters=[a_counter(accepted=1)], dead_letters=[a_dead_letter()])
        internal = new_test_user(self.env, 'tt_cr_internal2', groups='base.group_user')
        designer = new_test_user(self.env, 'tt_cr_designer2', groups='website.group_website_designer')
        for model in REPORT_MODELS:
            for user in (self.sidecar, internal, designer):
                for mode in ('read', 'write', 'create', 'unlink'):
                    self.assertFalse(self.env[model].with_user(user).has_access(mode),
                                     '%s %s %s' % (model, user.login, mode))
            admin_model = self.env[model].with_user(self.admin)
            self.assertTrue(admin_model.has_access('read'), model)
            for mode in ('write', 'create', 'unlink'):
                self.assertFalse(admin_model.has_access(mode), '%s admin %s' % (model, mode))
        letter = self.env['tiktok.dead.letter'].search([])
        letter.ensure_one()
        with self.assertRaises(AccessError):
            letter.with_user(self.admin).write({'message': 'edited'})
        with self.assertRaises(AccessError):
            letter.with_user(self.sidecar).action_send_again()


@tagged('post_install', '-at_install')
class TestReportValidation(ControlRoomCase):

    def test_garbage_is_refused_with_the_field_named(self):
        now = int(time.time())
        cases = [
            ('not a report', ('report must be an object',)),
            (a_report(replica=''), ('replica must be',)),
            (a_report(replica='x' * 129), ('replica must be',)),
            (a_report(replica='two words'), ('replica must be',)),
            ({**a_report(), 'replica': None}, ('replica must be',)),
            (a_report(started_at='yesterday'), ('started_at must be a time',)),
            (a_report(sent_at=now + 3 * 86400), ('sent_at must be a time',)),
            (a_report(counters=[a_counter(accepted=-1)]), ('counters[0].accepted must be a whole number',)),
            (a_report(counters=[a_counter(delivered='3')]), ('counters[0].delivered',)),
            (a_report(counters=[a_counter(retried=True)]), ('counters[0].retried',)),
            (a_report(counters=[a_counter(dead=10 ** 10)]), ('counters[0].dead',)),
            (a_report(counters=[a_counter(event='Hack')]), ('counters[0].event must be one of the event names',)),
            (a_report(counters=[a_counter(website_id='1')]), ('counters[0].website_id',)),
            (a_report(counters={'AddToCart': 1}), ('counters must be a list',)),
            (a_report(counters=[a_counter()] * 2001), ('counters has 2001 entries, at most 2000',)),
            (a_report(lanes=[{'pixel_id': GLOBAL_PIXEL, 'state': 'paused', 'reason': 'bad'}]), ('lanes[0].reason',)),
            (a_report(lanes=[{'pixel_id': 'c4a"<script>', 'state': 'running'}]), ('lanes[0].pixel_id',)),
            (a_report(dead_letters=[a_dead_letter()] * 101), ('dead_letters has 101 entries, at most 100',)),
            (a_report(dead_letters=[a_dead_letter(event_id='someone@example.com')]), ('dead_letters[0].event_id',)),
            (a_report(dead_letters=[a_dead_letter(), a_dead_letter()]), ('dead_letters[1].id repeats',)),
            (a_report(dead_letters=[a_dead_letter(outbox_id=0)]), ('dead_letters[0].id',)),
            (a_report(dead_letters=[a_dead_letter(message=42)]), ('dead_letters[0].message must be text',)),
            (a_report(test_events=[{'request_id': 'seven'}]), ('test_events[0].request_id',)),
            (a_report(match_keys={'email': -5}), ('match_keys.email',)),
            (a_report(outbox=[]), ('outbox must be an object',)),
        ]
        for report, fragments in cases:
            with self.subTest(fragments=fragments):
                message = self.assertRefused(report, *fragments)
                # The refusal names the field, never quotes the value.
                self.assertNotIn('someone@example.com', message)
        self.assertFalse(self.env['tiktok.sidecar.report'].search([]))
        self.assertFalse(self.env['tiktok.event.daily'].search([]))

    def test_only_the_contract_is_stored_and_contact_data_is_redacted(self):
        report = a_report(
            email='someone@example.com',
            counters=[a_counter(accepted=2, ip='203.0.113.7')],
            lanes=[{'pixel_id': GLOBAL_PIXEL, 'test': False, 'state': 'paused', 'reason': 'token_refused',
                    'code': 40105, 'message': 'Token of owner@example.com revoked, call +33 6 12 34 56 78',
                    'since': int(time.time()) - 60, 'token': 'secret-token', 'until': 1}],
            dead_letters=[a_dead_letter(user={'email': 'a' * 64}, message='Bad phone 0612345678 for x@y.fr')],
            match_keys={'email': 1, 'delivered': 2, 'phone_number': 'x'},
        )
        self.Report.tiktok_report(report)
        replica = self.env['tiktok.sidecar.report'].search([])
        stored = json.dumps([replica.last_report, replica.lanes, replica.match_keys])
        letter = self.env['tiktok.dead.letter'].search([])
        for secret in ('someone@example.com', '203.0.113.7', 'owner@example.com', '12 34 56 78', 'secret-token',
                       'phone_number', 'a' * 64):
            self.assertNotIn(secret, stored)
        self.assertEqual(replica.lanes[0]['message'], 'Token of [redacted] revoked, call [redacted]')
        self.assertEqual(set(replica.lanes[0]), {'pixel_id', 'test', 'state', 'reason', 'code', 'message', 'since'})
        self.assertEqual(letter.message, 'Bad phone [redacted] for [redacted]')
        self.assertEqual(replica.match_keys['email'], 1)

    def test_messages_are_cut_and_redaction_matches_the_sidecar(self):
        cleaned = clean_report(a_report(lanes=[{
            'pixel_id': GLOBAL_PIXEL, 'state': 'paused', 'reason': 'request_refused', 'message': 'x' * 5000}]),
            time.time())
        self.assertEqual(len(cleaned['lanes'][0]['message']), 300)
        # As sidecar/src/contract/privacy.ts: a number starts at its first digit.
        self.assertEqual(redact_contact_data('order S00042 of jo.doe%40mail.example, tel. (06) 12-34-56-78'),
                         'order S00042 of [redacted], tel. ([redacted]')
        self.assertEqual(redact_contact_data('Invalid parameter: currency'), 'Invalid parameter: currency')


@tagged('post_install', '-at_install')
class TestAggregation(ControlRoomCase):

    def test_two_reports_add_up_per_day_website_and_event(self):
        second = self.env['website'].create({'name': 'Second shop'})
        self.report('replica-a', counters=[
            a_counter(accepted=3, delivered=2, retried=1),
            a_counter(accepted=1),  # the same key twice in one report: summed
            a_counter(website_id=second.id, delivered=5),
            a_counter(event='Purchase', delivered=1, dead=1),
            a_counter(website_id=0, event='Search', accepted=4),
            a_counter(website_id=999999, event='Search', accepted=1),  # no such website any more
        ], match_keys={'delivered': 8, 'email': 4, 'ttp': 8})
        self.report('replica-b', counters=[a_counter(accepted=10, delivered=9, dead=2)],
                    match_keys={'delivered': 9, 'email': 9})
        row = self.daily()
        self.assertEqual((row.day, row.accepted, row.delivered, row.retried, row.dead),
                         (fields.Date.today(), 14, 11, 1, 2))
        self.assertEqual(self.daily(website=second).delivered, 5)
        self.assertEqual(self.daily('Purchase').dead, 1)
        orphans = self.env['tiktok.event.daily'].search([('website_id', '=', False)])
        self.assertEqual((len(orphans), orphans.event, orphans.accepted), (1, 'Search', 5))
        match = self.env['tiktok.match.daily'].search([])
        self.assertEqual((match.delivered, match.email, match.ttp, match.phone), (17, 13, 8, 0))

    def test_a_report_sent_again_under_its_number_counts_once(self):
        first = a_report('replica-a', counters=[a_counter(accepted=3)], match_keys={'delivered': 2, 'email': 1})
        answer = self.Report.tiktok_report(first)
        again = self.Report.tiktok_report(dict(first, sent_at=first['sent_at'] + 5))  # its answer was lost
        self.assertEqual(again, answer)
        self.assertEqual(self.daily().accepted, 3)
        self.assertEqual(self.env['tiktok.match.daily'].search([]).email, 1)
        # The next number counts; so does number 1 of a new run of the replica, once the first one stopped.
        self.Report.tiktok_report(a_report('replica-a', counters=[a_counter(accepted=1)]))
        self.silence('replica-a')
        self.Report.tiktok_report(a_report('replica-a', started_at=first['started_at'] + 60, run_id='run-0002-next',
                                           seq=1, counters=[a_counter(accepted=1)]))
        self.assertEqual(self.daily().accepted, 5)

    def test_tiktok_names_are_kept_as_canonical_keys(self):
        self.report(counters=[a_counter(event='Pageview', accepted=2), a_counter(event='CompletePayment', delivered=1),
                              a_counter(event='Lead', dead=1)])
        self.assertEqual([self.daily(name).accepted + self.daily(name).delivered + self.daily(name).dead
                          for name in ('PageView', 'Purchase', 'SubmitForm')], [2, 1, 1])
        renamed = self.env['tiktok.event.daily'].search([('event', 'in', ('Pageview', 'CompletePayment', 'Lead'))])
        self.assertFalse(renamed)

    def test_two_replicas_reporting_at_the_same_moment_lose_no_count(self):
        """Two real transactions, the second one blocked on the first one's new row.

        Each runs as Odoo runs an RPC call (odoo.service.model.retrying): a
        serialization failure is retried, anything else fails the call. The
        rows are committed, so they are removed at the end.
        """
        event = 'SubmitApplication'  # counted by no other test, under "no website"
        holding, release = threading.Event(), threading.Event()
        errors = []

        def report(replica, accepted, hold):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})

                    def call():
                        answer = env['tiktok.sidecar.report'].tiktok_report(
                            a_report(replica, counters=[a_counter(event=event, website_id=0, accepted=accepted)]))
                        if hold and not release.is_set():
                            holding.set()
                            release.wait(20)
                        return answer
                    retrying(call, env)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        first = threading.Thread(target=report, args=('concurrent-a', 3, True))
        second = threading.Thread(target=report, args=('concurrent-b', 4, False))
        # The test runner holds the registry lock that a new cursor's environment
        # takes: released for the threads, as Odoo does for its HTTP tests.
        lock = patch.object(Registry, '_lock', DummyRLock())
        lock.start()
        self.addCleanup(lock.stop)
        try:
            first.start()
            self.assertTrue(holding.wait(30), 'the first report never reached its hold: %s' % errors)
            second.start()
            self.assertTrue(self._wait_for_lock_wait(), 'the second report never waited for the first one: %s' % errors)
            release.set()
            first.join(60)
            second.join(60)
            self.assertEqual(errors, [])
            with self.registry.cursor() as cr:
                cr.execute('SELECT count(*), sum(accepted) FROM tiktok_event_daily WHERE event = %s', [event])
                self.assertEqual(cr.fetchone(), (1, 7))
        finally:
            release.set()
            for thread in (first, second):
                if thread.is_alive() or thread.ident:
                    thread.join(60)
            with self.registry.cursor() as cr:
                cr.execute('DELETE FROM tiktok_event_daily WHERE event = %s', [event])
                cr.execute("DELETE FROM tiktok_sidecar_report WHERE replica IN ('concurrent-a', 'concurrent-b')")
                cr.commit()

    def _wait_for_lock_wait(self):
        with self.registry.cursor() as cr:
            for _attempt in range(100):
                cr.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
                if cr.fetchone()[0]:
                    return True
                cr.rollback()
                time.sleep(0.1)
        return False


@tagged('post_install', '-at_install')
class TestBoundedStorage(ControlRoomCase):

    def test_days_beyond_the_retention_are_pruned_at_intake(self):
        today = fields.Date.today()
        daily = self.env['tiktok.event.daily'].sudo()
        old = daily.create({'day': today - timedelta(days=RETENTION_DAYS + 1), 'event': 'AddToCart', 'accepted': 1})
        kept = daily.create({'day': today - timedelta(days=RETENTION_DAYS), 'event': 'AddToCart', 'accepted': 1})
        match = self.env['tiktok.match.daily'].sudo()
        old_match = match.create({'day': today - timedelta(days=RETENTION_DAYS + 1), 'delivered': 1})
        self.report()
        self.assertFalse(old.exists())
        self.assertFalse(old_match.exists())
        self.assertTrue(kept.exists())

    def test_dead_letters_stay_bounded(self):
        old = int(time.time()) - (RETENTION_DAYS + 1) * 86400
        self.report('other', dead_letters=[a_dead_letter(outbox_id=1, dead_at=old), a_dead_letter(outbox_id=2)])
        self.assertEqual(self.env['tiktok.dead.letter'].search([]).mapped('outbox_id'), [2])
        with patch('odoo.addons.website_tiktok_events.models.tiktok_dead_letter.DEAD_LETTERS_PER_REPLICA', 3):
            self.report(dead_letters=[a_dead_letter(outbox_id=1, dead_at=old)]
                        + [a_dead_letter(outbox_id=i, dead_at=DEAD_AT + i) for i in range(2, 7)])
        letters = self.env['tiktok.dead.letter'].search([('report_id.replica', '=', 'shop-sidecar-1:4242')])
        self.assertEqual(sorted(letters.mapped('outbox_id')), [4, 5, 6])

    def test_silent_replicas_are_forgotten_with_their_dead_letters(self):
        self.report('gone', dead_letters=[a_dead_letter()])
        gone = self.env['tiktok.sidecar.report'].search([('replica', '=', 'gone')])
        gone.sudo().write({'last_seen': fields.Datetime.now() - timedelta(days=31)})
        self.report('alive')
        self.assertFalse(gone.exists())
        self.assertFalse(self.env['tiktok.dead.letter'].search([]))

    def test_the_bounds_are_those_the_sidecar_checks(self):
        """tests/vectors/contract.json holds the sidecar's schema (report.ts REPORT_LIMITS) to the same numbers."""
        from pathlib import Path
        from odoo.addons.website_tiktok_events.tools import report_contract
        path = Path(__file__).resolve().parents[3] / 'tests' / 'vectors' / 'contract.json'
        if not path.exists():
            self.skipTest('tests/vectors/contract.json is not next to the module')
        limits = json.loads(path.read_text())['report_limits']
        self.assertEqual(
            (report_contract.INT4_MAX, report_contract.MAX_COUNT, report_contract.MAX_OUTBOX_ID,
             report_contract.MAX_REPORT_BYTES, report_contract.MAX_CONTENTS),
            (limits['int4_max'], limits['max_count'], limits['max_outbox_id'], limits['max_request_bytes'],
             limits['max_contents']))

    def test_every_number_is_refused_past_what_its_column_holds_and_taken_up_to_it(self):
        """Refused with the field named (422 over JSON-2), never a database error (500)."""
        big_id = 2 ** 31 + 5  # an outbox id past int4: a long-lived outbox has them
        answer = self.report(dead_letters=[a_dead_letter(big_id)],
                             outbox={'pending': 2 ** 31 - 1, 'in_flight': 0, 'delivered': 0, 'dead': 1})
        self.assertTrue(answer['ok'])
        letter = self.env['tiktok.dead.letter'].search([])
        self.assertEqual(int(letter.outbox_id), big_id)
        letter.with_user(self.admin).action_send_again()
        self.assertEqual(self.report()['send_again'], [{'id': big_id}])
        for report, fragment in (
            (a_report(dead_letters=[a_dead_letter(2 ** 53)]), 'dead_letters[0].id'),
            (a_report(outbox={'pending': 2 ** 31}), 'outbox.pending'),
            (a_report(seq=2 ** 31), 'seq must be'),
            (a_report(lanes=[{'pixel_id': GLOBAL_PIXEL, 'state': 'paused', 'reason': 'token_refused',
                              'code': 2 ** 31}]), 'lanes[0].code'),
            (a_report(run_id='short'), 'run_id must be'),
        ):
            with self.subTest(fragment=fragment):
                self.assertRefused(report, fragment)

    def test_forged_counters_cannot_make_a_later_report_fail(self):
        """Counts past what a day's row holds stay at the bound: an honest replica's next report still adds up."""
        forged = [a_counter(accepted=10 ** 9, delivered=10 ** 9) for _ in range(3)]
        self.report('forger', counters=forged, match_keys={'delivered': 10 ** 9, 'email': 10 ** 9})
        self.report('forger', counters=forged, match_keys={'delivered': 10 ** 9, 'email': 10 ** 9})
        self.report('forger', counters=forged, match_keys={'delivered': 10 ** 9, 'email': 10 ** 9})
        honest = self.report('honest', counters=[a_counter(accepted=2, delivered=2, retried=1)],
                             match_keys={'delivered': 2, 'email': 1})
        self.assertTrue(honest['ok'])
        day = self.daily()
        self.assertEqual((day.accepted, day.delivered, day.retried), (2 ** 31 - 1, 2 ** 31 - 1, 1))
        self.assertEqual(self.env['tiktok.match.daily'].search([]).email, 2 ** 31 - 1)

    def test_a_report_of_an_earlier_run_or_an_old_number_is_refused(self):
        self.report('replica-r', run_id='run-aaaa-0001', seq=1, counters=[a_counter(accepted=1)])
        old = a_report('replica-r', run_id='run-aaaa-0001', seq=2, counters=[a_counter(accepted=5)])
        self.Report.tiktok_report(old)
        self.silence('replica-r')
        self.report('replica-r', run_id='run-bbbb-0002', seq=1, counters=[a_counter(accepted=1)])
        self.assertRefused(old, 'run_id is an earlier run of replica replica-r')
        self.assertRefused(dict(old, seq=1), 'run_id is an earlier run')
        self.report('replica-r', run_id='run-bbbb-0002', seq=2, counters=[a_counter(accepted=1)])
        self.assertRefused(a_report('replica-r', run_id='run-bbbb-0002', seq=1, counters=[a_counter(accepted=9)]),
                           'seq 1 of this run comes after report 2')
        self.assertEqual(self.daily().accepted, 8)
        replica = self.env['tiktok.sidecar.report'].search([('replica', '=', 'replica-r')])
        self.assertEqual((replica.run_id, replica.last_seq, replica.past_run_ids),
                         ('run-bbbb-0002', 2, ['run-aaaa-0001']))

    def test_a_second_run_under_a_live_replica_s_name_takes_nothing_of_it(self):
        """Somebody with the sidecar's key (or a copied SIDECAR_REPLICA_ID)
        reports under the name of a replica that is alive: refused, and the
        live replica keeps its send-again and test event requests."""
        self.report('replica-live', run_id='run-live-0001', dead_letters=[a_dead_letter(31)])
        letter = self.env['tiktok.dead.letter'].search([('outbox_id', '=', 31)])
        letter.with_user(self.admin).action_send_again()
        self.assertRefused(a_report('replica-live', run_id='run-rival-0002', seq=1),
                           'replica replica-live is reporting as another run')
        answer = self.report('replica-live', run_id='run-live-0001')
        self.assertEqual(answer['send_again'], [{'id': 31}])
        # Once the live run stopped (two reports missed), a new run takes the name.
        self.silence('replica-live')
        self.report('replica-live', run_id='run-next-0003', seq=1)
        row = self.env['tiktok.sidecar.report'].search([('replica', '=', 'replica-live')])
        self.assertEqual((row.run_id, row.past_run_ids), ('run-next-0003', ['run-live-0001']))

    def test_a_long_message_is_cut_before_it_is_searched(self):
        """Only what is kept is searched for contact data: a megabyte of text costs what 700 characters do."""
        from odoo.addons.website_tiktok_events.tools import report_contract
        long_message = 'write to jane@example.com ' + 'x' * (10 ** 6)
        searched = []
        redact = report_contract.redact_contact_data
        with patch.object(report_contract, 'redact_contact_data',
                          side_effect=lambda text: searched.append(len(text)) or redact(text)):
            self.report(dead_letters=[a_dead_letter(message=long_message)])
        self.assertTrue(searched)
        self.assertLessEqual(max(searched), 1000)
        letter = self.env['tiktok.dead.letter'].search([])
        self.assertEqual(letter.message, ('write to [redacted] ' + 'x' * 300)[:300])

    def test_the_stored_report_is_size_bounded(self):
        counters = [a_counter(website_id=i, accepted=1) for i in range(1, 2001)]
        self.report(counters=counters)
        replica = self.env['tiktok.sidecar.report'].search([])
        self.assertLessEqual(len(json.dumps(replica.last_report)), STORED_REPORT_MAX_BYTES)
        self.assertEqual(replica.last_report['counters'], '2000 entries, not kept')


@tagged('post_install', '-at_install')
class TestSendAgain(ControlRoomCase):

    def letter(self, outbox_id=12, replica='shop-sidecar-1:4242'):
        return self.env['tiktok.dead.letter'].search([('outbox_id', '=', outbox_id),
                                                      ('report_id.replica', '=', replica)])

    def test_send_again_goes_to_the_next_answer_of_that_replica_once(self):
        self.report(dead_letters=[a_dead_letter(12), a_dead_letter(13)])
        self.report('other-replica', dead_letters=[a_dead_letter(12)])
        letter = self.letter()
        self.assertEqual((letter.event, letter.event_id, letter.code, letter.state),
                         ('AddToCart', 'evt-12', 40002, 'dead'))
        self.assertEqual(letter.website_id, self.website)
        letter.with_user(self.admin).action_send_again()
        self.assertEqual((letter.state, letter.requested_by), ('requested', self.admin))

        self.assertEqual(self.report('other-replica')['send_again'], [])
        self.assertEqual(self.report(dead_letters=[a_dead_letter(13)])['send_again'], [{'id': 12}])
        self.assertEqual(letter.state, 'sent_again')
        self.assertEqual(self.report(dead_letters=[a_dead_letter(13)])['send_again'], [])

    def test_a_lost_answer_is_asked_again_and_a_new_death_is_shown(self):
        self.report(dead_letters=[a_dead_letter(12)])
        letter = self.letter()
        letter.with_user(self.admin).action_send_again()
        self.assertEqual(self.report(dead_letters=[a_dead_letter(12)])['send_again'], [{'id': 12}])
        # Listed again with the same death time: the sidecar never queued it.
        self.assertEqual(self.report(dead_letters=[a_dead_letter(12)])['send_again'], [{'id': 12}])
        # Listed with a later death time: sent again and refused again.
        self.report(dead_letters=[a_dead_letter(12, dead_at=DEAD_AT + 500, code=40003)])
        self.assertEqual((letter.state, letter.code), ('dead', 40003))


@tagged('post_install', '-at_install')
class TestTestEvents(ControlRoomCase):

    def setUp(self):
        super().setUp()
        self.website.tiktok_test_event_code = 'TEST123'

    def request(self):
        settings = self.env['res.config.settings'].with_user(self.admin).create({'website_id': self.website.id})
        self.assertTrue(settings.tiktok_test_event_ready)
        action = settings.action_tiktok_send_test_event()
        self.assertEqual((action['tag'], action['target']), ('website_tiktok_events.test_event', 'new'))
        return self.env['tiktok.test.event'].browse(action['params']['request_id'])

    def test_round_trip_through_two_reports(self):
        request = self.request()
        self.assertEqual(request.state, 'requested')
        answer = self.report('replica-a')
        self.assertEqual(answer['test_events'], [{'request_id': request.id, 'website_id': self.website.id,
                                                  'pixel_id': GLOBAL_PIXEL, 'test_event_code': 'TEST123'}])
        self.assertEqual((request.state, request.replica), ('sent', 'replica-a'))
        # Handed to one replica only, once.
        self.assertEqual(self.report('replica-b')['test_events'], [])
        self.assertEqual(self.report('replica-a')['test_events'], [])
        # Another replica cannot answer for it.
        self.report('replica-b', test_events=[{'request_id': request.id, 'code': 40001, 'message': 'forged'}])
        self.assertEqual(request.state, 'sent')
        self.report('replica-a', test_events=[{'request_id': request.id, 'code': 0, 'message': 'OK'}])
        status = request.with_user(self.admin).tiktok_test_event_status()[0]
        self.assertEqual((status['state'], status['code'], status['message']), ('answered', 0, 'OK'))

    def test_a_refusal_shows_tiktok_code_and_message_and_no_answer_expires(self):
        request = self.request()
        self.report()
        self.report(test_events=[{'request_id': request.id, 'code': 40002, 'message': 'Invalid test_event_code'}])
        status = request.with_user(self.admin).tiktok_test_event_status()[0]
        self.assertEqual((status['state'], status['code'], status['message']),
                         ('answered', 40002, 'Invalid test_event_code'))

        waiting = self.request()
        waiting.sudo().requested_at = fields.Datetime.now() - timedelta(minutes=3)
        status = waiting.with_user(self.admin).tiktok_test_event_status()[0]
        self.assertEqual(status['state'], 'failed')
        self.assertIn('No sidecar replica reported', status['message'])

    def test_no_test_code_no_request_and_only_administrators(self):
        self.website.tiktok_test_event_code = False
        settings = self.env['res.config.settings'].with_user(self.admin).create({'website_id': self.website.id})
        self.assertFalse(settings.tiktok_test_event_ready)
        with self.assertRaises(UserError):
            settings.action_tiktok_send_test_event()
        self.website.tiktok_test_event_code = 'TEST123'
        with self.assertRaises(AccessError):
            self.env['tiktok.test.event'].with_user(self.sidecar)._request(self.website)
        self.assertFalse(self.env['tiktok.test.event'].search([]))
        request = self.request()
        with self.assertRaises(AccessError):
            request.with_user(self.sidecar).tiktok_test_event_status()
