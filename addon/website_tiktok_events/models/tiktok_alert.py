import logging

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models

from ..tools.access import ADMINISTRATORS
from ..tools.report_contract import read_source_lane
from ..tools.catalog_match import MATCH_RATE_GOAL, match_rate_low
from ..tools.control_room import (
    INCIDENT_KINDS, incident_key, REPLICA_SHOWN_SECONDS, lane_incidents, reconcile_incidents, replica_incidents,
)

_logger = logging.getLogger(__name__)

ACTIVITY_TYPE = 'mail.mail_activity_data_todo'
KIND_LABELS = {
    'token_refused': 'Access token refused',
    'lane_paused': 'Events paused',
    'replica_down': 'Sidecar replica down',
    'match_rate_low': 'Catalog match rate below 90 %',
}


class TikTokAlert(models.Model):
    """An incident of the TikTok setup an administrator must see where Odoo
    users look: one activity per administrator while it lasts, marked done
    with a note when it clears. Opened and closed by `_tiktok_sync_alerts`
    on every sidecar report (and by a cron, for when no replica reports at
    all), never by hand; Settings administrators only."""
    _name = 'tiktok.alert'
    _inherit = ['mail.thread', 'mail.activity.mixin']
    _description = 'TikTok alert'
    _order = 'state, opened_at desc, id desc'

    name = fields.Char(string='Incident', required=True, readonly=True)
    key = fields.Char(required=True, readonly=True, index=True,
                      help='The kind of the incident and what it is about: the same while it lasts.')
    kind = fields.Selection([(kind, KIND_LABELS[kind]) for kind in INCIDENT_KINDS], required=True, readonly=True)
    website_id = fields.Many2one('website', readonly=True, ondelete='cascade')
    state = fields.Selection([('open', 'Open'), ('closed', 'Cleared')], required=True, default='open', readonly=True)
    opened_at = fields.Datetime(string='Since', required=True, readonly=True, default=fields.Datetime.now)
    closed_at = fields.Datetime(string='Cleared on', readonly=True)

    # One open alert per incident: two reports racing to open it do not make two.
    _one_open_alert = models.UniqueIndex('(key) WHERE state = \'open\'')

    # ------------------------------------------------------------------
    # The incidents of now
    # ------------------------------------------------------------------

    @api.model
    def _tiktok_current_incidents(self, catalog_match=False):
        """Every incident of now, as {key: {'name': sentence, 'kind', 'website_id'}}.

        Modules add theirs by extending this method (super() plus their own,
        keyed with tools/control_room.py `incident_key`). A catalog match rate
        below its goal (kind `match_rate_low`, one per website) reads the
        products: measured only with ``catalog_match`` (the cron), else the
        open ones are taken as they are (a report every few seconds does not
        read the catalog)."""
        Report = self.env['tiktok.sidecar.report'].sudo()
        now = fields.Datetime.now()
        shown = Report.search([('last_seen', '>=', fields.Datetime.subtract(now, seconds=REPLICA_SHOWN_SECONDS))])
        replicas = [(replica.replica, replica.status, replica.lanes) for replica in shown]
        _ = self.env._
        incidents = {}
        for key, incident in lane_incidents(replicas).items():
            lane = incident['lane']
            website_id = self._tiktok_website_of_lane(lane['pixel_id'])
            if not website_id:
                continue  # a pixel (or event set) no website sends: nothing a merchant can act on here
            incidents[key] = {'kind': incident['kind'], 'name': Report._lane_sentence(lane),
                              'website_id': website_id}
        for key, incident in replica_incidents(replicas).items():
            incidents[key] = {'kind': 'replica_down', 'website_id': False, 'name': _(
                'The TikTok sidecar replica %(replica)s stopped reporting: if it was not stopped on purpose, '
                'its events wait until it is back.', replica=incident['replica'])}
        if catalog_match:
            incidents.update(self._tiktok_match_incidents())
        else:
            still_open = self.sudo().search([('state', '=', 'open'), ('kind', '=', 'match_rate_low')])
            incidents.update({alert.key: {'kind': alert.kind, 'name': alert.name, 'website_id': alert.website_id.id}
                              for alert in still_open})
        return incidents

    @api.model
    def _tiktok_match_incidents(self):
        """A website whose events' content ids match its catalog below the goal."""
        incidents = {}
        for website in self.env['website'].sudo().search([], order='sequence, id'):
            summary = website._tiktok_catalog_match()
            if match_rate_low(summary):
                incidents[incident_key('match_rate_low', website.id)] = {
                    'kind': 'match_rate_low', 'website_id': website.id, 'name': self.env._(
                        'The TikTok catalog of %(website)s matches %(rate)s %% of the content ids its events sent '
                        'over 7 days (goal: %(goal)s %%): the TikTok control room lists the products that do not '
                        'match.', website=website.name, rate=summary['rate'], goal=MATCH_RATE_GOAL)}
        return incidents

    @api.model
    def _tiktok_website_of_lane(self, pixel_id):
        source = read_source_lane(pixel_id)
        if source:
            return self.env['website'].sudo().browse(source[1]).exists().id
        for website in self.env['website'].sudo().search([], order='sequence, id'):
            if website._tiktok_resolved_settings()['pixel_id'] == pixel_id:
                return website.id
        return False

    # ------------------------------------------------------------------
    # Alerts follow the incidents
    # ------------------------------------------------------------------

    @api.model
    def _tiktok_sync_alerts(self, incidents=None, catalog_match=False):
        """Open an alert for each new incident and close those that cleared.

        ``incidents``: {key: {'name', 'kind', 'website_id'}}, by default the
        incidents of now. A side effect of a report: a failure here (two
        reports opening the same alert at once) is logged and left to the next
        report, never refuses the report."""
        incidents = self._tiktok_current_incidents(catalog_match) if incidents is None else incidents
        try:
            with self.env.cr.savepoint():
                self._tiktok_apply_incidents(incidents)
        except psycopg2.Error as error:
            _logger.info('TikTok alerts left to the next report: %s', error)

    def _tiktok_apply_incidents(self, incidents):
        alerts = self.sudo()
        open_alerts = alerts.search([('state', '=', 'open')])
        by_key = {alert.key: alert for alert in open_alerts}
        to_open, to_close = reconcile_incidents(incidents, by_key)
        for key in to_open:
            alerts._tiktok_open(key, incidents[key])
        for key in to_close:
            by_key[key]._tiktok_close()

    def _tiktok_open(self, key, incident):
        alert = self.create({'key': key, 'name': incident['name'], 'kind': incident['kind'],
                             'website_id': incident.get('website_id') or False})
        summary = self.env._('TikTok: %(incident)s', incident=incident['name'])
        for user in self._tiktok_administrators():
            # The sentence may quote TikTok's message (or a forged report's): escaped text, never
            # markup nor a link made of an address in it.
            alert.activity_schedule(ACTIVITY_TYPE, summary=summary, note=Markup('<p>%s</p>') % incident['name'],
                                    user_id=user.id)
        return alert

    def _tiktok_close(self):
        for alert in self:
            alert.write({'state': 'closed', 'closed_at': fields.Datetime.now()})
            alert.activity_feedback([ACTIVITY_TYPE], feedback=self.env._('Cleared: this no longer happens.'))
        # Closed in the database at once: the same incident may open again in this transaction.
        self.flush_recordset(['state'])

    @api.model
    def _tiktok_administrators(self):
        """Who gets the activities: the internal users who administer the settings."""
        group = self.env.ref(ADMINISTRATORS)
        return group.all_user_ids.filtered(lambda user: user.active and not user.share)

    @api.model
    def _cron_tiktok_sync_alerts(self):
        """When no replica reports at all, no report reconciles: this does,
        and it measures the catalog match, which reports leave alone."""
        self._tiktok_sync_alerts(catalog_match=True)
