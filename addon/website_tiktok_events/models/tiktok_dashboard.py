import time
from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import format_date, format_datetime, format_time

from ..tools.access import ADMINISTRATORS
from ..tools.catalog_match import MATCH_RATE_GOAL, MATCH_WINDOW_DAYS
from ..tools import control_room
from ..tools.control_room import (
    DASHBOARD_PERIODS, REPLICA_SHOWN_SECONDS, overall_status, percent, replica_status, status_thresholds,
)
from ..tools.report_contract import CANONICAL_EVENTS, COUNTER_KEYS, MATCH_KEYS, read_source_lane
from ..tools.server_saved import server_saved
from ..tools.timestamps import from_unix, to_unix

# Purchase coverage buckets besides the queue's own states: orders never
# queued, told apart by whether the module was there when they were confirmed.
NOT_QUEUED = 'not_queued'
BEFORE_INSTALL = 'before_install'


def check_administrator(env):
    if not env.user.has_group(ADMINISTRATORS):
        raise AccessError(env._('Only administrators can see the TikTok control room.'))


def share_rows(by_key, labels):
    """Rows of a breakdown, in the order of `labels`: each key with a count, its
    label and its share of the whole."""
    total = sum(by_key.values())
    return [{'key': key, 'label': label, 'count': by_key[key], 'percent': percent(by_key[key], total)}
            for key, label in labels.items() if by_key.get(key)]


def shared_interval(replicas):
    """The report interval all `replicas` (dashboard entries) share, or None."""
    intervals = {entry['interval_seconds'] for entry in replicas}
    return intervals.pop() if len(intervals) == 1 else None


class TikTokSidecarReportDashboard(models.Model):
    _inherit = 'tiktok.sidecar.report'

    # ------------------------------------------------------------------
    # The dashboard (Website > Reporting > TikTok): one call, plain JSON
    # ------------------------------------------------------------------

    @api.model
    def tiktok_dashboard_data(self, days=7, website_id=False):
        """Everything the TikTok dashboard shows, for the last `days` days
        (today included; days are UTC days) and one website or all."""
        check_administrator(self.env)
        if days not in DASHBOARD_PERIODS:
            raise UserError(self.env._('The dashboard shows the last %(periods)s days.',
                                       periods=' or '.join(str(period) for period in DASHBOARD_PERIODS)))
        websites = self.env['website'].sudo().search([], order='sequence, id')
        website = websites.filtered(lambda site: site.id == website_id) if website_id else None
        if website_id and not website:
            raise UserError(self.env._('There is no website with id %(id)s.', id=website_id))
        now = fields.Datetime.now()
        today = now.date()
        first_day = today - timedelta(days=days - 1)
        live = self.sudo().search([('last_seen', '>=', now - timedelta(seconds=REPLICA_SHOWN_SECONDS))])
        replicas = [self._replica_entry(replica, now) for replica in live]
        event_counts = self._event_counts(today, first_day, website)
        return {
            'days': days,
            'periods': list(DASHBOARD_PERIODS),
            'website_id': website.id if website else False,
            'websites': [{'id': site.id, 'name': site.name} for site in websites],
            'today': format_date(self.env, today),
            'first_day': format_date(self.env, first_day),
            'thresholds': {
                # The seconds the status rule applies, for the interval the listed replicas
                # share (the default when they differ: each replica row says its own).
                **status_thresholds(shared_interval(replicas)),
                'retention_days': control_room.RETENTION_DAYS,
            },
            'sidecar': {
                'status': overall_status({entry['status'] for entry in replicas}),
                'replicas': replicas,
            },
            **event_counts,
            'server_saved': server_saved(event_counts['events']),
            'purchases': self._purchase_coverage(first_day, website),
            'sources': self._source_event_counts(first_day, website),
            'match_keys': self._match_key_coverage(first_day),
            'catalog_match': self._catalog_match(website or websites, live),
            'lanes': self._lane_problems(live.filtered(lambda replica: replica.status != 'down'), website),
            'dead_letters': self._dead_letter_counts(website),
            'bridges': self._missing_bridges(),
            'test_events': self.env['tiktok.test.event'].sudo().search(
                [('website_id', '=', website.id)] if website else [], limit=5)._status(),
        }

    def _replica_entry(self, replica, now):
        age = to_unix(now) - to_unix(replica.last_seen)
        return {
            'replica': replica.replica,
            'version': replica.version or '',
            'mode': replica.mode or '',
            'status': replica_status(age, replica.poll_interval),
            # Times in UTC (Odoo's datetime text): the page formats them as Odoo's datetime
            # fields do, so the dashboard and the settings page show one time in one zone.
            'last_seen': fields.Datetime.to_string(replica.last_seen),
            'age_seconds': int(age),
            **status_thresholds(replica.poll_interval),
            'started_at': fields.Datetime.to_string(replica.started_at) or '',
            'outbox': {key: replica['outbox_%s' % key] for key in ('pending', 'in_flight', 'delivered', 'dead')},
            # The latency of the last report that delivered something, and when that was
            # (None before any): a report without deliveries measures nothing.
            'latency_ms': {key: replica['latency_%s' % key] for key in ('p50', 'p95', 'max')}
            if replica.latency_measured_at else None,
            'latency_measured_at': fields.Datetime.to_string(replica.latency_measured_at) or None,
        }

    def _event_counts(self, today, first_day, website):
        daily = self.env['tiktok.event.daily'].sudo()
        domain = [('day', '>=', first_day)] + ([('website_id', '=', website.id)] if website else [])
        rows = daily.search_fetch(domain, ['day', 'event', *COUNTER_KEYS])
        zero = dict.fromkeys(COUNTER_KEYS, 0)
        by_event = {event: {'event': event, 'today': dict(zero), 'period': dict(zero)} for event in CANONICAL_EVENTS}
        delivered_by_day = {first_day + timedelta(days=offset): 0 for offset in range((today - first_day).days + 1)}
        for row in rows:
            entry = by_event.setdefault(row.event, {'event': row.event, 'today': dict(zero), 'period': dict(zero)})
            for key in COUNTER_KEYS:
                entry['period'][key] += row[key]
                if row.day == today:
                    entry['today'][key] += row[key]
            delivered_by_day[row.day] = delivered_by_day.get(row.day, 0) + row.delivered
        events = list(by_event.values())
        totals = {period: {key: sum(entry[period][key] for entry in events) for key in COUNTER_KEYS}
                  for period in ('today', 'period')}
        return {
            'events': events,
            'totals': totals,
            'chart': [{'day': day.isoformat(), 'label': format_date(self.env, day, date_format='MMM d'),
                       'delivered': count} for day, count in sorted(delivered_by_day.items())],
        }

    def _catalog_match(self, websites, live):
        """Per website, the share of the content ids its events sent over the
        match window that are sku_ids of its catalog feed, and the others with
        the product behind each and why, in words."""
        _ = self.env._
        reasons = {
            'archived': _('Archived'),
            'not_sold': _('"Can be sold" is off'),
            'unpublished': _('Not published on the website'),
            'other_website': _('Published on another website only'),
            'variant_impossible': _('A combination the shop excludes'),
            'zero_price': _('Zero price, which the website refuses to sell at'),
            'reference_changed': _('Its internal reference changed: events sent the former one'),
            'content_id_setting': _('The website\'s Content ID setting names this product otherwise now'),
            'single_variant': _('A product group id, but the product has one variant: the feed names it by its '
                                'product'),
            'unknown': _('No product has or had this id (a deleted product, or an id the shop never sent)'),
        }
        entries = []
        for website in websites:
            summary = website._tiktok_catalog_match()
            for entry in summary['unmatched']:
                entry['reason_label'] = reasons[entry['reason']]
            entries.append({'website_id': website.id, 'website_name': website.name, **summary})
        return {
            'window_days': MATCH_WINDOW_DAYS,
            'goal': MATCH_RATE_GOAL,
            'websites': entries,
            'not_counted': sum(live.mapped('contents_unrecorded')),
        }

    def _purchase_coverage(self, first_day, website):
        """Confirmed web orders of the period and what became of their server Purchase.

        A sent Purchase is "paired" when the buyer, with consent, also opened
        the confirmation page that fires the browser copy under the same event
        id (TikTok keeps one of the two); "server only" when the buyer never
        got there (closed the tab after paying, or paid later by wire).
        """
        self.env['sale.order'].flush_model(['state', 'website_id', 'date_order', 'tiktok_confirmation_shown_at'])
        self.env['tiktok.server.event'].flush_model(['state', 'skip_reason', 'sale_order_id'])
        installed_at = self._module_installed_at()
        self.env.cr.execute(SQL(
            """
            SELECT COALESCE(queue.state, CASE WHEN so.date_order < %s THEN %s ELSE %s END),
                   queue.skip_reason, so.tiktok_confirmation_shown_at IS NOT NULL, count(*)
              FROM sale_order so
              LEFT JOIN tiktok_server_event queue ON queue.sale_order_id = so.id
             WHERE so.website_id IS NOT NULL AND so.state = 'sale' AND so.date_order >= %s %s
             GROUP BY 1, 2, 3
            """,
            installed_at, BEFORE_INSTALL, NOT_QUEUED, datetime.combine(first_day, datetime.min.time()),
            SQL('AND so.website_id = %s', website.id) if website else SQL(),
        ))
        counts = self.env.cr.fetchall()
        total = sum(row[-1] for row in counts)
        queue = self.env['tiktok.server.event']
        state_labels = dict(queue._fields['state']._description_selection(self.env))
        reason_labels = dict(queue._fields['skip_reason']._description_selection(self.env))
        labels = {
            'paired': self.env._('Sent by the server and shown on the confirmation page (TikTok pairs the two)'),
            'server_only': self.env._(
                'Sent by the server only (the buyer never opened the confirmation page with consent)'),
            'pending': self.env._('Not sent yet: %(state)s', state=state_labels['pending']),
            'claimed': self.env._('Not sent yet: %(state)s', state=state_labels['claimed']),
            'failed': state_labels['failed'],
            NOT_QUEUED: self.env._(
                'Not queued: confirmed without an online payment (Purchase without payment is off)'),
            BEFORE_INSTALL: self.env._(
                'Not sent: confirmed before the TikTok module was installed (only orders confirmed since '
                'then are sent)'),
        }
        labels.update({'skipped:%s' % reason: self.env._('Not sent: %(reason)s', reason=label)
                       for reason, label in reason_labels.items()})

        def key_of(state, reason, shown):
            if state == 'sent':
                return 'paired' if shown else 'server_only'
            return 'skipped:%s' % reason if state == 'skipped' else state

        by_key = {}
        for state, reason, shown, count in counts:
            key = key_of(state, reason, shown)
            by_key[key] = by_key.get(key, 0) + count
        return {'orders': total, 'rows': share_rows(by_key, labels)}

    def _source_event_counts(self, first_day, website):
        """The events of the other sources (CRM lead stages, offline Purchases) of the
        period, per source: sent, waiting, or not sent and why."""
        queue = self.env['tiktok.source.event'].sudo()
        domain = [('create_date', '>=', datetime.combine(first_day, datetime.min.time()))]
        if website:
            domain.append(('website_id', '=', website.id))
        groups = queue._read_group(domain, ['event_source', 'state', 'skip_reason'], ['__count'])
        state_labels = dict(queue._fields['state']._description_selection(self.env))
        reason_labels = dict(queue._fields['skip_reason']._description_selection(self.env))
        labels = {
            'sent': self.env._('Sent: TikTok accepted it'),
            'pending': self.env._('Not sent yet: %(state)s', state=state_labels['pending']),
            'claimed': self.env._('Not sent yet: %(state)s', state=state_labels['claimed']),
            'failed': self.env._('Not sent: %(state)s', state=state_labels['failed']),
            **{'skipped:%s' % reason: self.env._('Not sent: %(reason)s', reason=label)
               for reason, label in reason_labels.items()},
        }
        by_source = {}
        for source, state, reason, count in groups:
            key = 'skipped:%s' % reason if state == 'skipped' else state
            counts = by_source.setdefault(source, {})
            counts[key] = counts.get(key, 0) + count
        source_labels = dict(queue._fields['event_source']._description_selection(self.env))
        return [{
            'source': source,
            'label': source_labels[source],
            'events': sum(by_source.get(source, {}).values()),
            'rows': share_rows(by_source.get(source, {}), labels),
        } for source in source_labels if source in by_source or self._bridge_installed(source)]

    def _bridge_installed(self, source):
        bridge = control_room.BRIDGE_OF_SOURCE[source]
        return bool(self.env['ir.module.module'].sudo().search_count(
            [('name', '=', bridge), ('state', '=', 'installed')]))

    def _module_installed_at(self):
        """When this module was first installed: its oldest record (kept on upgrades)."""
        self.env.cr.execute(SQL(
            "SELECT min(create_date) FROM ir_model_data WHERE module = %s", 'website_tiktok_events'))
        return self.env.cr.fetchone()[0] or fields.Datetime.now()

    def _match_key_coverage(self, first_day):
        daily = self.env['tiktok.match.daily'].sudo()
        rows = daily.search_fetch([('day', '>=', first_day)], list(MATCH_KEYS))
        sums = {key: sum(row[key] for row in rows) for key in MATCH_KEYS}
        delivered = sums.pop('delivered')
        return {
            'delivered': delivered,
            'keys': [{'key': key, 'label': daily._fields[key]._description_string(self.env), 'count': count,
                      'percent': percent(count, delivered)} for key, count in sums.items()],
        }

    def _lane_problems(self, replicas, website):
        """Paused lanes of the replicas still reporting, one sentence each: the
        website's pixel, and the event sets of other sources its token sends."""
        pixels = None
        if website:
            pixels = {website._tiktok_resolved_settings()['pixel_id']}

        def shown(lane_id):
            source = read_source_lane(lane_id)
            return pixels is None or (source[1] == website.id if source else lane_id in pixels)

        seen = set()
        problems = []
        for replica in replicas:
            for lane in replica.lanes or []:
                key = (lane.get('pixel_id'), lane.get('test'), lane.get('reason'))
                if lane.get('state') != 'paused' or key in seen or not shown(key[0]):
                    continue
                seen.add(key)
                problems.append({
                    'pixel_id': lane['pixel_id'],
                    'test': bool(lane.get('test')),
                    'reason': lane['reason'],
                    'code': lane.get('code'),
                    'sentence': self._lane_sentence(lane),
                })
        return problems

    def _lane_sentence(self, lane):
        """What a paused lane means, in one sentence a merchant can act on."""
        _ = self.env._
        since = lane.get('since')
        code = lane.get('code')
        if code is None:
            answer = ''
        elif lane.get('message'):
            # The sentence ends after the parenthesis: TikTok's own full stop would double it.
            answer = _(' (code %(code)s: %(message)s)', code=code, message=lane['message'].rstrip('. '))
        else:
            answer = _(' (code %(code)s)', code=code)
        values = {
            'pixel': self._lane_name(lane['pixel_id']) + (_(' (test events)') if lane.get('test') else ''),
            'since': _(' since %(time)s', time=self._since_text(since)) if since is not None else '',
            'answer': answer,
        }
        sentences = {
            'token_refused': _('TikTok refused the access token of pixel %(pixel)s%(since)s%(answer)s. '
                               'Paste a new token from TikTok Events Manager in the settings: '
                               'the waiting events leave within seconds.'),
            'wrong_base_url': _('The TikTok address the sidecar calls for pixel %(pixel)s is wrong%(since)s'
                                '%(answer)s. Check TIKTOK_API_BASE_URL in the sidecar\'s environment; '
                                'events wait meanwhile.'),
            'not_tiktok_answer': _('Something that is not TikTok answers the sidecar for pixel %(pixel)s'
                                   '%(since)s%(answer)s: a proxy, a firewall or a captive portal between the '
                                   'sidecar and TikTok. Events wait meanwhile.'),
            'request_refused': _('TikTok refuses every event of pixel %(pixel)s alike%(since)s%(answer)s. '
                                 'Events wait; the message says what to change.'),
            'no_token': _('Pixel %(pixel)s has no Events API access token%(since)s: its server events wait '
                          'until you paste one in the settings.'),
        }
        return sentences[lane['reason']] % values

    def _lane_name(self, lane_id):
        """A pixel by its code; an event set of another source by its source, id and website."""
        source = read_source_lane(lane_id)
        if not source:
            return lane_id
        kind, website_id, event_set = source
        website = self.env['website'].sudo().browse(website_id).exists()
        labels = dict(self.env['tiktok.source.event']._fields['event_source']._description_selection(self.env))
        return self.env._('%(pixel)s (%(kind)s event set of %(website)s)', pixel=event_set,
                          kind=labels.get(kind, kind), website=website.name or website_id)

    def _since_text(self, since):
        """A lane's start in the reader's time zone: the time today, else date and time."""
        moment = from_unix(since)
        tz_today = fields.Datetime.context_timestamp(self, fields.Datetime.now()).date()
        if fields.Datetime.context_timestamp(self, moment).date() == tz_today:
            return format_time(self.env, moment, time_format='HH:mm')
        return format_datetime(self.env, moment, dt_format='short')

    def _missing_bridges(self):
        """The bridges to install, one sentence each: an app is there without its bridge
        (a bridge installs by itself with its app, but not on an upgrade of an older release)."""
        Module = self.env['ir.module.module'].sudo()
        modules = {module.name: module for module in Module.search(
            [('name', 'in', [*control_room.BRIDGES, *control_room.BRIDGES.values()])])}
        missing = control_room.missing_bridges({name: module.state for name, module in modules.items()})
        return [{
            'module': bridge,
            'sentence': self.env._(
                '%(app)s is installed without its TikTok bridge: install "%(bridge)s" (%(module)s) in Apps, '
                'or nothing of %(app)s is sent to TikTok.',
                app=modules[control_room.BRIDGES[bridge]].shortdesc,
                bridge=modules[bridge].shortdesc if bridge in modules else bridge, module=bridge),
        } for bridge in missing]

    def _dead_letter_counts(self, website):
        letters = self.env['tiktok.dead.letter'].sudo()
        domain = [('website_id', '=', website.id)] if website else []
        return {state: letters.search_count(domain + [('state', '=', state)]) for state in ('dead', 'requested')}

    # ------------------------------------------------------------------
    # The "Connect the sidecar" dialog
    # ------------------------------------------------------------------

    @api.model
    def tiktok_connection_status(self, since):
        """Replicas that reported since `since` (unix seconds): the new key works."""
        check_administrator(self.env)
        if not isinstance(since, (int, float)) or isinstance(since, bool):
            raise UserError(self.env._('"since" must be a time in unix seconds.'))
        replicas = self.sudo().search([('last_seen', '>=', from_unix(int(since)))])
        age = time.time()
        return {
            'connected': bool(replicas),
            'replicas': [{
                'replica': replica.replica,
                'version': replica.version or '',
                'last_seen': fields.Datetime.to_string(replica.last_seen),
                'status': replica_status(age - to_unix(replica.last_seen), replica.poll_interval),
            } for replica in replicas],
        }
