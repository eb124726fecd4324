import os
import re
import time
from datetime import timedelta

from markupsafe import Markup

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.website_tiktok_events.tools import control_room
from odoo.addons.website_tiktok_events.tools.control_room import (
    missing_bridges, replica_status, status_thresholds, website_warning_codes,
)
from odoo.addons.website_tiktok_events.tools.report_contract import CANONICAL_EVENTS, COUNTER_KEYS
from odoo.addons.website_tiktok_events.tools.settings_table import SETTINGS_BY_KEY, set_at_param
from .common import GLOBAL_PIXEL, WEBSITE_PIXEL, WEBSITE_TOKEN
from .control_room_common import ControlRoomCase, a_counter, a_dead_letter, a_report

TOKEN_MESSAGE = 'Access token is incorrect or has been revoked.'


@tagged('post_install', '-at_install')
class TestDashboardData(ControlRoomCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls.env['website'].create({
            'name': 'Dashboard shop', 'tiktok_pixel_id': WEBSITE_PIXEL, 'tiktok_access_token': WEBSITE_TOKEN})
        cls.buyer = cls.env['res.partner'].create({'name': 'Dashboard buyer'})

    def dashboard(self, days=7, website=None):
        return self.env['tiktok.sidecar.report'].with_user(self.admin).tiktok_dashboard_data(
            days=days, website_id=(website or self.shop).id)

    def web_order(self, queue_state=None, skip_reason=False, website=None):
        order = self.env['sale.order'].create({'partner_id': self.buyer.id, 'website_id': (website or self.shop).id})
        order.sudo().write({'state': 'sale'})
        if queue_state:
            self.env['tiktok.server.event'].sudo().create({
                'sale_order_id': order.id, 'website_id': order.website_id.id, 'event_id': 'evt-so-%d' % order.id,
                'state': queue_state, 'skip_reason': skip_reason})
        return order

    def test_events_today_and_over_the_period_with_the_daily_chart(self):
        today = fields.Date.today()
        self.env['tiktok.event.daily'].sudo().create({
            'day': today - timedelta(days=3), 'website_id': self.shop.id, 'event': 'AddToCart', 'delivered': 40})
        self.env['tiktok.event.daily'].sudo().create({
            'day': today - timedelta(days=8), 'website_id': self.shop.id, 'event': 'AddToCart', 'delivered': 1000})
        self.report(counters=[
            a_counter(website_id=self.shop.id, accepted=5, delivered=4, retried=2, dead=1),
            a_counter(website_id=self.shop.id, event='Purchase', delivered=1),
            a_counter(website_id=self.website.id, delivered=77),  # another website: not in this view
        ])
        data = self.dashboard()
        by_event = {row['event']: row for row in data['events']}
        self.assertEqual([row['event'] for row in data['events']], list(CANONICAL_EVENTS))
        # every count of the report's contract, those the report left out at 0
        none = dict.fromkeys(COUNTER_KEYS, 0)
        self.assertEqual(by_event['AddToCart']['today'],
                         {**none, 'accepted': 5, 'delivered': 4, 'retried': 2, 'dead': 1})
        self.assertEqual(by_event['AddToCart']['period'],
                         {**none, 'accepted': 5, 'delivered': 44, 'retried': 2, 'dead': 1})
        self.assertEqual(data['totals']['today']['delivered'], 5)
        self.assertEqual(data['totals']['period']['delivered'], 45)
        self.assertEqual(len(data['chart']), 7)
        self.assertEqual([point['delivered'] for point in data['chart']], [0, 0, 0, 40, 0, 0, 5])
        self.assertEqual(data['chart'][-1]['day'], today.isoformat())
        month = self.dashboard(days=30)
        self.assertEqual(month['totals']['period']['delivered'], 1045)
        everything = self.env['tiktok.sidecar.report'].with_user(self.admin).tiktok_dashboard_data(days=7)
        self.assertEqual(everything['totals']['today']['delivered'], 82)
        self.assertIn({'id': self.shop.id, 'name': 'Dashboard shop'}, everything['websites'])

    def test_purchase_coverage_by_state_and_skip_reason(self):
        for _ in range(2):
            self.web_order('sent')
        paired = self.web_order('sent')
        paired.sudo().tiktok_confirmation_shown_at = fields.Datetime.now()
        self.web_order('pending')
        self.web_order('failed')
        self.web_order('skipped', 'no_consent')
        self.web_order()  # confirmed, never queued
        draft = self.env['sale.order'].create({'partner_id': self.buyer.id, 'website_id': self.shop.id})
        self.assertEqual(draft.state, 'draft')
        coverage = self.dashboard()['purchases']
        self.assertEqual(coverage['orders'], 7)
        rows = {row['key']: (row['count'], row['percent']) for row in coverage['rows']}
        self.assertEqual(rows, {'paired': (1, 14), 'server_only': (2, 29), 'pending': (1, 14), 'failed': (1, 14),
                                'not_queued': (1, 14), 'skipped:no_consent': (1, 14)})
        self.assertEqual([row['key'] for row in coverage['rows']][:2], ['paired', 'server_only'])
        labels = {row['key']: row['label'] for row in coverage['rows']}
        self.assertIn('did not consent', labels['skipped:no_consent'])
        self.assertIn('confirmation page', labels['paired'])

    def test_sidecar_status_per_replica_and_lanes_in_words(self):
        since = int(time.time()) - 120
        self.report('live', lanes=[
            {'pixel_id': WEBSITE_PIXEL, 'test': False, 'state': 'paused', 'reason': 'token_refused',
             'code': 40105, 'message': TOKEN_MESSAGE, 'since': since},
            {'pixel_id': 'COTHERPIXEL000000003', 'test': False, 'state': 'paused', 'reason': 'no_token'},
        ], match_keys={'delivered': 10, 'email': 8, 'ttclid': 1})
        now = fields.Datetime.now()
        for name, age in (('lagging', 17), ('down', 60), ('forgotten', 2 * 86400)):
            self.report(name, lanes=[{'pixel_id': WEBSITE_PIXEL, 'state': 'paused', 'reason': 'wrong_base_url'}])
            self.env['tiktok.sidecar.report'].search([('replica', '=', name)]).write(
                {'last_seen': now - timedelta(seconds=age)})
        data = self.dashboard()
        self.assertEqual(data['sidecar']['status'], 'connected')
        self.assertEqual({entry['replica']: entry['status'] for entry in data['sidecar']['replicas']},
                         {'live': 'connected', 'lagging': 'lagging', 'down': 'down'})
        # The paused lanes of this website's pixel, from replicas still reporting.
        sentences = {lane['reason']: lane['sentence'] for lane in data['lanes']}
        self.assertEqual(set(sentences), {'token_refused', 'wrong_base_url'})
        self.assertRegex(sentences['token_refused'],
                         r'^TikTok refused the access token of pixel %s since \d\d:\d\d \(code 40105: %s\)\. '
                         % (WEBSITE_PIXEL, re.escape(TOKEN_MESSAGE.rstrip('.'))))
        self.assertIn('TIKTOK_API_BASE_URL', sentences['wrong_base_url'])
        everything = self.env['tiktok.sidecar.report'].with_user(self.admin).tiktok_dashboard_data(days=7)
        no_token = next(lane for lane in everything['lanes'] if lane['reason'] == 'no_token')
        self.assertEqual(no_token['sentence'], 'Pixel COTHERPIXEL000000003 has no Events API access token: its '
                                               'server events wait until you paste one in the settings.')
        keys = {key['key']: key['percent'] for key in data['match_keys']['keys']}
        self.assertEqual((data['match_keys']['delivered'], keys['email'], keys['ttclid'], keys['phone']),
                         (10, 80, 10, 0))

        self.env['tiktok.sidecar.report'].search([]).write({'last_seen': now - timedelta(minutes=5)})
        data = self.dashboard()
        self.assertEqual(data['sidecar']['status'], 'down')
        self.assertEqual(data['lanes'], [])

    def test_latency_of_the_last_report_that_delivered_and_times_in_utc(self):
        self.report('quiet')  # no delivery yet: nothing measured
        self.report('busy', counters=[a_counter(website_id=self.shop.id, delivered=3)])
        replicas = {entry['replica']: entry for entry in self.dashboard()['sidecar']['replicas']}
        self.assertIsNone(replicas['quiet']['latency_ms'])
        self.assertIsNone(replicas['quiet']['latency_measured_at'])
        self.assertEqual(replicas['busy']['latency_ms'], {'p50': 800, 'p95': 2100, 'max': 4000})
        measured = replicas['busy']['latency_measured_at']
        row = self.env['tiktok.sidecar.report'].search([('replica', '=', 'busy')])
        self.assertEqual(measured, fields.Datetime.to_string(row.last_seen))
        # The page formats times as Odoo's datetime fields do: it gets them in UTC, as Odoo writes them.
        self.assertEqual(replicas['busy']['last_seen'], fields.Datetime.to_string(row.last_seen))
        row.write({'last_seen': row.last_seen - timedelta(seconds=3), 'latency_measured_at': row.last_seen
                   - timedelta(seconds=3)})
        earlier = fields.Datetime.to_string(row.latency_measured_at)
        # A report without deliveries measures nothing: the last figure and its date stay.
        self.report('busy', latency_ms={'p50': 0, 'p95': 0, 'max': 0})
        busy = next(entry for entry in self.dashboard()['sidecar']['replicas'] if entry['replica'] == 'busy')
        self.assertEqual((busy['latency_ms']['p95'], busy['latency_measured_at']), (2100, earlier))

    def test_the_page_states_the_thresholds_the_status_follows(self):
        self.report('fast', poll_interval_seconds=2)
        data = self.dashboard()
        [fast] = data['sidecar']['replicas']
        self.assertEqual(data['thresholds']['interval_seconds'], 2)
        for thresholds in (data['thresholds'], fast):
            row = self.env['tiktok.sidecar.report'].search([('replica', '=', 'fast')])
            for status, seconds in (('lagging', thresholds['lagging_after_seconds']),
                                    ('down', thresholds['down_after_seconds'])):
                row.last_seen = fields.Datetime.now() - timedelta(seconds=seconds + 1)
                row.invalidate_recordset(['status'])
                self.assertEqual(row.status, status, 'after %d s without a report' % (seconds + 1))

    def test_orders_confirmed_before_the_install_say_so(self):
        old = self.web_order()
        installed_at = self.env['tiktok.sidecar.report']._module_installed_at()
        old.sudo().date_order = installed_at - timedelta(hours=1)
        self.web_order()  # since the install, without an online payment
        rows = {row['key']: row for row in self.dashboard(days=30)['purchases']['rows']}
        if fields.Datetime.now() - installed_at > timedelta(days=29):
            self.skipTest('the module was installed more than a month ago in this database')
        self.assertEqual((rows['before_install']['count'], rows['not_queued']['count']), (1, 1))
        self.assertIn('before the TikTok module was installed', rows['before_install']['label'])
        self.assertNotIn('installed', rows['not_queued']['label'])

    def test_events_of_the_other_sources_sent_and_not_sent_with_why(self):
        def source_event(source, state, reason=False, website=None):
            partner = self.env['res.partner'].create({'name': 'Source %s %s' % (source, state)})
            return self.env['tiktok.source.event'].sudo().create({
                'event_source': source, 'event_source_id': '7300000000000000001',
                'website_id': (website or self.shop).id, 'event': 'Purchase', 'res_model': 'res.partner',
                'res_id': partner.id, 'state': state, 'skip_reason': reason,
                'event_id': 'evt-%s-%s-%d' % (source, state, partner.id)})
        source_event('offline', 'sent')
        source_event('offline', 'sent')
        source_event('offline', 'skipped', 'no_match_keys')
        source_event('offline', 'failed')
        source_event('offline', 'sent', website=self.website)  # another website
        sources = {entry['source']: entry for entry in self.dashboard()['sources']}
        offline = sources['offline']
        self.assertEqual(offline['events'], 4)
        rows = {row['key']: (row['count'], row['percent']) for row in offline['rows']}
        self.assertEqual(rows, {'sent': (2, 50), 'skipped:no_match_keys': (1, 25), 'failed': (1, 25)})
        why = next(row['label'] for row in offline['rows'] if row['key'] == 'skipped:no_match_keys')
        self.assertIn('Nothing identifies the person', why)
        everything = self.env['tiktok.sidecar.report'].with_user(self.admin).tiktok_dashboard_data(days=7)
        self.assertEqual(next(e for e in everything['sources'] if e['source'] == 'offline')['events'], 5)

    def test_paused_lanes_and_dead_letters_of_the_other_sources_beside_the_web(self):
        lane = 'crm:%d:7300000000000000001' % self.shop.id
        self.report(source_lanes=[{'pixel_id': lane, 'test': False, 'state': 'paused', 'reason': 'token_refused',
                                   'code': 40105, 'message': TOKEN_MESSAGE}],
                    source_dead_letters=[a_dead_letter(40, pixel_id=lane, event='Qualified')],
                    dead_letters=[a_dead_letter(41, pixel_id=WEBSITE_PIXEL)])
        data = self.dashboard()
        [paused] = data['lanes']
        self.assertEqual((paused['pixel_id'], paused['reason']), (lane, 'token_refused'))
        self.assertIn('7300000000000000001 (CRM event set of Dashboard shop)', paused['sentence'])
        self.assertEqual(data['dead_letters'], {'dead': 2, 'requested': 0})
        letter = self.env['tiktok.dead.letter'].search([('outbox_id', '=', 40)])
        self.assertEqual((letter.website_id, letter.event), (self.shop, 'Qualified'))
        # Another website's view shows neither.
        other = self.dashboard(website=self.website)
        self.assertEqual((other['lanes'], other['dead_letters']['dead']), ([], 0))
        # The alert of the lane is the shop's.
        alert = self.env['tiktok.alert'].search([('key', '=', 'token_refused:%s:live' % lane)])
        self.assertEqual(alert.website_id, self.shop)

    def test_lanes_of_other_sources_are_checked_as_such(self):
        lane = 'crm:%d:7300000000000000001' % self.shop.id
        self.assertRefused(a_report(source_lanes=[{'pixel_id': WEBSITE_PIXEL, 'test': False, 'state': 'running'}]),
                           'source_lanes[0].pixel_id must be a lane of another source')
        self.assertRefused(a_report(lanes=[{'pixel_id': lane, 'test': False, 'state': 'running'}]),
                           'lanes[0].pixel_id must be a TikTok pixel code')
        self.assertRefused(a_report(source_dead_letters=[a_dead_letter(40, pixel_id=lane, event='<b>')]),
                           'source_dead_letters[0].event')
        self.assertRefused(a_report(source_lanes=[{'pixel_id': 'crm:1:7300:x', 'test': False, 'state': 'running'}]),
                           'source_lanes[0].pixel_id')

    def test_dead_letters_and_test_events_of_the_website(self):
        self.report(dead_letters=[a_dead_letter(1, pixel_id=WEBSITE_PIXEL), a_dead_letter(2)])
        self.assertEqual(self.dashboard()['dead_letters'], {'dead': 1, 'requested': 0})

    def test_only_administrators_and_known_periods(self):
        for user in (self.sidecar, new_test_user(self.env, 'tt_dash_internal', groups='base.group_user'),
                     new_test_user(self.env, 'tt_dash_designer', groups='website.group_website_designer')):
            with self.assertRaises(AccessError, msg=user.login):
                self.env['tiktok.sidecar.report'].with_user(user).tiktok_dashboard_data(days=7)
            with self.assertRaises(AccessError, msg=user.login):
                self.env['tiktok.sidecar.report'].with_user(user).tiktok_connection_status(0)
        with self.assertRaises(UserError):
            self.dashboard(days=5)
        with self.assertRaises(UserError):
            self.env['tiktok.sidecar.report'].with_user(self.admin).tiktok_dashboard_data(days=7, website_id=999999)


@tagged('post_install', '-at_install')
class TestWebsiteWarnings(ControlRoomCase):

    def text(self):
        self.website.invalidate_recordset()
        return Markup(self.website.tiktok_warnings or '').striptags()

    def test_each_problem_in_one_sentence(self):
        self.assertEqual(self.website.tiktok_sidecar_status, 'never')
        text = self.text()
        self.assertIn('No TikTok sidecar has reported yet', text)
        self.assertIn("Odoo's cookie bar is off", text)
        self.assertNotIn('access token', text)

        self.set_params(access_token=False)
        self.website.cookies_bar = True
        self.report(lanes=[{'pixel_id': 'C4A1B2C3D4E5F6G7H8I9', 'state': 'paused', 'reason': 'no_token'}])
        text = self.text()
        self.assertEqual(self.website.tiktok_sidecar_status, 'connected')
        self.assertIn('No Events API access token', text)
        self.assertIn('has no Events API access token', text)  # the sidecar's lane says it too
        self.assertNotIn('cookie bar', text)
        self.assertNotIn('No TikTok sidecar', text)

        self.env['tiktok.sidecar.report'].search([]).write({'last_seen': fields.Datetime.now() - timedelta(minutes=2)})
        self.assertNotIn('has not reported since', self.text())
        self.assertEqual(self.website.tiktok_sidecar_status, 'down')  # the dashboard's word, two reports missed
        self.env['tiktok.sidecar.report'].search([]).write({'last_seen': fields.Datetime.now() - timedelta(minutes=11)})
        self.assertIn('has not reported since', self.text())

    def test_markup_in_a_lane_message_is_shown_as_text(self):
        """TikTok's message (or a forged report's) lands in an HTML field that is
        not sanitized: each sentence is escaped, never markup."""
        self.report(lanes=[{'pixel_id': GLOBAL_PIXEL, 'test': False, 'state': 'paused', 'reason': 'token_refused',
                            'code': 40105, 'message': '<img src=x onerror=alert(1)>'}])
        self.website.invalidate_recordset()
        html = str(self.website.tiktok_warnings)
        self.assertIn('&lt;img src=x onerror=alert(1)&gt;', html)
        self.assertNotIn('<img', html)
        self.assertIn('<li>', html)  # the list itself is markup
        settings = self.env['res.config.settings'].create({'website_id': self.website.id})
        self.assertNotIn('<img', str(settings.tiktok_website_warnings))

    def test_a_test_code_left_on_for_more_than_a_day(self):
        self.website.cookies_bar = True
        self.report()
        self.website.tiktok_test_event_code = 'TEST123'
        self.assertAlmostEqual(self.website.tiktok_test_event_code_set_at, fields.Datetime.now(),
                               delta=timedelta(seconds=5))
        self.website.invalidate_recordset()
        self.assertFalse(self.website.tiktok_has_warnings)
        self.website.tiktok_test_event_code_set_at = fields.Datetime.now() - timedelta(days=2)
        self.assertIn('test event code has been set for more than a day', self.text())
        # Writing the same code again keeps the date; a new code restarts it; clearing clears it.
        self.website.tiktok_test_event_code = 'TEST123'
        self.assertLess(self.website.tiktok_test_event_code_set_at, fields.Datetime.now() - timedelta(days=1))
        self.website.tiktok_test_event_code = 'TEST456'
        self.assertGreater(self.website.tiktok_test_event_code_set_at, fields.Datetime.now() - timedelta(minutes=1))
        self.website.tiktok_test_event_code = False
        self.assertFalse(self.website.tiktok_test_event_code_set_at)

    def test_the_global_test_code_is_dated_by_the_settings(self):
        param = set_at_param(SETTINGS_BY_KEY['test_event_code'])
        params = self.env['ir.config_parameter'].sudo()
        self.env['res.config.settings'].create({'tiktok_test_event_code': 'GLOBAL1'}).execute()
        stamped = params.get_param(param)
        self.assertTrue(stamped)
        self.env['res.config.settings'].create({}).execute()
        self.assertEqual(params.get_param(param), stamped)
        self.env['res.config.settings'].create({'tiktok_test_event_code': False}).execute()
        self.assertFalse(params.get_param(param))

    def test_settings_page_shows_the_selected_website(self):
        settings = self.env['res.config.settings'].create({'website_id': self.website.id})
        self.assertEqual(settings.tiktok_website_sidecar_status, 'never')
        self.assertIn('No TikTok sidecar has reported yet', Markup(settings.tiktok_website_warnings).striptags())
        arch = self.env['res.config.settings'].get_views([(False, 'form')])['views']['form']['arch']
        for needle in ('action_tiktok_send_test_event', 'tiktok_website_warnings', 'events_manager',
                       'Connect the sidecar'):
            self.assertIn(needle, arch)

    def test_a_disabled_website_has_nothing_to_fix(self):
        self.website.tiktok_enabled = 'off'
        self.assertFalse(self.website.tiktok_has_warnings)


@tagged('post_install', '-at_install')
class TestControlRoomRules(ControlRoomCase):
    """The pure rules (tools/control_room.py) at their thresholds."""

    def test_replica_status_thresholds(self):
        interval, grace = control_room.DEFAULT_REPORT_INTERVAL_SECONDS, control_room.REPORT_GRACE_SECONDS
        self.assertEqual(replica_status(interval + grace, None), 'connected')
        self.assertEqual(replica_status(interval + grace + 0.5, None), 'lagging')
        self.assertEqual(replica_status(2 * interval + grace, None), 'lagging')
        self.assertEqual(replica_status(2 * interval + grace + 0.5, None), 'down')
        self.assertEqual(replica_status(60 + grace, 60), 'connected')
        self.assertEqual(replica_status(61 + grace, 60), 'lagging')

    def test_status_thresholds_are_the_status_rule(self):
        self.assertEqual(status_thresholds(2), {'interval_seconds': 2, 'lagging_after_seconds': 12,
                                                'down_after_seconds': 14})
        for interval in (None, 1, 2, 5, 60):
            thresholds = status_thresholds(interval)
            self.assertEqual(replica_status(thresholds['lagging_after_seconds'], interval), 'connected')
            self.assertEqual(replica_status(thresholds['lagging_after_seconds'] + 0.5, interval), 'lagging')
            self.assertEqual(replica_status(thresholds['down_after_seconds'], interval), 'lagging')
            self.assertEqual(replica_status(thresholds['down_after_seconds'] + 0.5, interval), 'down')

    def test_bridges_missing_beside_their_app(self):
        self.assertEqual(missing_bridges({'crm': 'installed', 'point_of_sale': 'installed',
                                          'website_tiktok_events_crm': 'uninstalled'}),
                         ['website_tiktok_events_crm', 'website_tiktok_events_pos'])
        self.assertEqual(missing_bridges({'crm': 'installed', 'website_tiktok_events_crm': 'to install',
                                          'point_of_sale': 'uninstalled'}), [])
        self.assertEqual(missing_bridges({}), [])

    def test_warning_codes(self):
        resolved = {'enabled': True, 'pixel_id': 'C4A1B2C3D4E5F6G7H8I9', 'access_token': 't', 'test_event_code': ''}
        self.assertEqual(website_warning_codes(resolved, True, None, 5), [])
        self.assertEqual(website_warning_codes({**resolved, 'access_token': ''}, False, None, None),
                         ['no_token', 'no_cookie_bar', 'sidecar_never'])
        coded = {**resolved, 'test_event_code': 'TEST1'}
        self.assertEqual(website_warning_codes(coded, True, 86400 + 1, 601), ['test_code_left_on', 'sidecar_silent'])
        self.assertEqual(website_warning_codes(coded, True, 86400 - 1, 600), [])
        self.assertEqual(website_warning_codes({**resolved, 'enabled': False}, False, None, None), [])
        days = control_room.KEY_EXPIRY_WARNING_DAYS * 86400
        self.assertEqual(website_warning_codes(resolved, True, None, 5, days - 1), ['sidecar_key_expiring'])
        self.assertEqual(website_warning_codes(resolved, True, None, 5, days + 1), [])

    def test_event_names_match_the_sidecar(self):
        """The 14 keys are the sidecar's (when the repository is around the module)."""
        source = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'sidecar', 'src', 'tiktok', 'eventNames.ts')
        if not os.path.exists(source):
            self.skipTest('sidecar source not next to the module')
        with open(source, encoding='utf-8') as handle:
            text = handle.read()
        block = text[text.index('CANONICAL_EVENTS = ['):text.index('] as const')]
        self.assertEqual(tuple(re.findall(r"'(\w+)'", block)), CANONICAL_EVENTS)
