from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.access import ADMINISTRATORS
from ..tools.control_room import TEST_EVENT_KEEP_DAYS, TEST_EVENT_TIMEOUT_SECONDS, TEST_EVENTS_PER_ANSWER

STATES = [
    ('requested', 'Waiting for the sidecar'),
    ('sent', 'Sent to TikTok'),
    ('answered', 'TikTok answered'),
    ('failed', 'Not sent'),
]


class TikTokTestEvent(models.Model):
    """A test event an administrator asked for, sent by one sidecar replica.

    Requested from the settings; handed (once) to the first replica that
    reports; TikTok's code and message come back in that replica's next report.
    """
    _name = 'tiktok.test.event'
    _description = 'TikTok test event'
    _order = 'id desc'

    website_id = fields.Many2one('website', required=True, ondelete='cascade', readonly=True)
    requested_by = fields.Many2one('res.users', readonly=True, ondelete='set null')
    requested_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    state = fields.Selection(STATES, required=True, default='requested', readonly=True)
    replica = fields.Char(readonly=True, help='The sidecar replica it was handed to.')
    sent_at = fields.Datetime(readonly=True)
    answered_at = fields.Datetime(readonly=True)
    code = fields.Integer(string="TikTok's code", readonly=True)
    message = fields.Char(string="TikTok's message", readonly=True)

    @api.model
    def _request(self, website):
        """Administrators: ask the sidecar to send a test event for this website."""
        if not self.env.user.has_group(ADMINISTRATORS):
            raise AccessError(_('Only administrators can send a TikTok test event.'))
        resolved = website._tiktok_resolved_settings(with_secrets=True)
        if not resolved['test_event_code']:
            raise UserError(_('No test event code is saved for %(website)s: paste the code from TikTok Events '
                              'Manager (Test events), save the settings, then send the test event.',
                              website=website.name))
        if not resolved['pixel_id']:
            raise UserError(_('No TikTok pixel is set for %(website)s.', website=website.name))
        return self.sudo().create({'website_id': website.id, 'requested_by': self.env.user.id})

    def tiktok_test_event_status(self):
        """What the settings dialog shows while it waits: state, TikTok's code and message."""
        if not self.env.user.has_group(ADMINISTRATORS):
            raise AccessError(_('Only administrators can send a TikTok test event.'))
        return self.sudo()._status()

    def _status(self):
        self._expire(fields.Datetime.now())
        return [{
            'id': request.id,
            'website': request.website_id.name,
            'state': request.state,
            'state_label': dict(STATES)[request.state],
            'code': request.code if request.state == 'answered' else None,
            'message': request.message or '',
            'replica': request.replica or '',
        } for request in self]

    # ------------------------------------------------------------------
    # Intake (called by tiktok.sidecar.report, as superuser)
    # ------------------------------------------------------------------

    @api.model
    def _expire(self, now):
        """Requests nobody took, or nobody answered, within the timeout fail with a reason."""
        cutoff = now - timedelta(seconds=TEST_EVENT_TIMEOUT_SECONDS)
        minutes = TEST_EVENT_TIMEOUT_SECONDS // 60
        self.search([('state', '=', 'requested'), ('requested_at', '<', cutoff)]).write({
            'state': 'failed',
            'message': _('No sidecar replica reported within %(minutes)s minutes: is the sidecar running?',
                         minutes=minutes),
        })
        self.search([('state', '=', 'sent'), ('sent_at', '<', cutoff)]).write({
            'state': 'failed',
            'message': _('The sidecar took the test event but did not report an answer within %(minutes)s minutes.',
                         minutes=minutes),
        })

    @api.model
    def _record_answers(self, replica, answers):
        """TikTok's answers, accepted from the replica each request was handed to."""
        by_id = {answer['request_id']: answer for answer in answers}
        requests = self.search([('id', 'in', list(by_id)), ('state', '=', 'sent'), ('replica', '=', replica.replica)])
        for request in requests:
            answer = by_id[request.id]
            request.write({
                'state': 'answered' if answer['code'] is not None else 'failed',
                'answered_at': fields.Datetime.now(),
                'code': answer['code'] or 0,
                'message': answer['message'] or False,
            })

    @api.model
    def _hand_over(self, replica, now):
        """Give waiting requests to this replica (each to one replica only), for its report's answer."""
        self._expire(now)
        self.flush_model()
        # Two replicas reporting at once never take the same request.
        self.env.cr.execute(
            "SELECT id FROM tiktok_test_event WHERE state = 'requested' ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            [TEST_EVENTS_PER_ANSWER],
        )
        handed = []
        for request in self.browse([row[0] for row in self.env.cr.fetchall()]):
            resolved = request.website_id._tiktok_resolved_settings(with_secrets=True)
            if not (resolved['test_event_code'] and resolved['pixel_id']):
                request.write({'state': 'failed',
                               'message': _('The website has no test event code or no pixel any more.')})
                continue
            request.write({'state': 'sent', 'replica': replica.replica, 'sent_at': now})
            handed.append({
                'request_id': request.id,
                'website_id': request.website_id.id,
                'pixel_id': resolved['pixel_id'],
                'test_event_code': resolved['test_event_code'],
            })
        return handed

    @api.model
    def _prune(self, now):
        self.search([('requested_at', '<', now - timedelta(days=TEST_EVENT_KEEP_DAYS))]).unlink()
