from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..tools.access import ADMINISTRATORS
from ..tools.control_room import DEAD_LETTERS_PER_REPLICA, RETENTION_DAYS
from ..tools.timestamps import from_unix

STATES = [
    ('dead', 'Refused by TikTok'),
    ('requested', 'Send again: waiting for the sidecar'),
    ('sent_again', 'Sent again'),
]


class TikTokDeadLetter(models.Model):
    """A dead letter of a sidecar replica, as its report describes it.

    What explains it and nothing else: the event, its id and time, TikTok's
    code and message (contact data redacted). The payload (match keys, ip,
    user agent) stays in the sidecar's outbox. Administrators read these rows
    and may ask for a send again; only the sidecar's report writes them.
    """
    _name = 'tiktok.dead.letter'
    _description = 'TikTok dead letter'
    _order = 'dead_at desc, id desc'
    _rec_name = 'event_id'

    report_id = fields.Many2one('tiktok.sidecar.report', string='Replica', required=True, ondelete='cascade',
                                readonly=True, index=True)
    # A Float (float8): exact for every id the sidecar's outbox can give
    # (report_contract.MAX_OUTBOX_ID), where an Integer (int4) stops at 2**31.
    outbox_id = fields.Float(string='Outbox id', required=True, readonly=True, digits=False, aggregator=False,
                             help="The dead letter's id in the replica's outbox.")
    pixel_id = fields.Char(string='Pixel', readonly=True)
    website_id = fields.Many2one('website', ondelete='set null', readonly=True)
    event = fields.Char(required=True, readonly=True)
    event_id = fields.Char(string='Event id', required=True, readonly=True)
    event_time = fields.Datetime(readonly=True)
    dead_at = fields.Datetime(string='Refused on', required=True, readonly=True)
    code = fields.Integer(string="TikTok's code", readonly=True)
    message = fields.Char(string="TikTok's message", readonly=True)
    state = fields.Selection(STATES, required=True, default='dead', readonly=True)
    requested_by = fields.Many2one('res.users', string='Send again asked by', readonly=True, ondelete='set null')
    requested_at = fields.Datetime(string='Send again asked on', readonly=True)

    _replica_outbox_unique = models.Constraint('UNIQUE(report_id, outbox_id)',
                                               'A dead letter is listed once per replica.')

    def action_send_again(self):
        """Administrators: have the replica queue these events again (same event id)."""
        if not self.env.user.has_group(ADMINISTRATORS):
            raise AccessError(_('Only administrators can send a TikTok dead letter again.'))
        self.sudo().filtered(lambda letter: letter.state != 'requested').write({
            'state': 'requested', 'requested_by': self.env.user.id, 'requested_at': fields.Datetime.now(),
        })
        return True

    # ------------------------------------------------------------------
    # Intake (called by tiktok.sidecar.report, as superuser)
    # ------------------------------------------------------------------

    @api.model
    def _mirror(self, replica, letters, website_by_pixel):
        """Create or update the dead letters a replica listed.

        A letter handed back for a send again and listed again with the same
        death time was not queued (the answer was lost): it is asked again.
        Listed with a later death time, it died again: back to "refused".
        """
        known = {letter.outbox_id: letter for letter in self.search([
            ('report_id', '=', replica.id), ('outbox_id', 'in', [entry['id'] for entry in letters])])}
        new = []
        for entry in letters:
            values = {
                'pixel_id': entry['pixel_id'],
                'website_id': website_by_pixel.get(entry['pixel_id'], False),
                'event': entry['event'],
                'event_id': entry['event_id'],
                'event_time': from_unix(entry['event_time']),
                'dead_at': from_unix(entry['dead_at']),
                'code': entry['code'] or 0,
                'message': entry['message'] or False,
            }
            letter = known.get(entry['id'])
            if not letter:
                new.append({**values, 'report_id': replica.id, 'outbox_id': entry['id']})
                continue
            if letter.state == 'sent_again':
                values['state'] = 'requested' if values['dead_at'] <= letter.dead_at else 'dead'
            letter.write(values)
        self.create(new)

    @api.model
    def _hand_over(self, replica):
        """The send-again requests of this replica, for its report's answer; they leave the list."""
        requested = self.search([('report_id', '=', replica.id), ('state', '=', 'requested')], order='id')
        requested.write({'state': 'sent_again'})
        return [{'id': int(letter.outbox_id)} for letter in requested]

    @api.model
    def _prune(self, replica, now):
        """Bounded: none older than the retention, and the newest few hundred per replica."""
        self.search([('dead_at', '<', now - timedelta(days=RETENTION_DAYS))]).unlink()
        self.search([('report_id', '=', replica.id)], offset=DEAD_LETTERS_PER_REPLICA).unlink()
