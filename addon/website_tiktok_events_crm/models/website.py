from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.website_tiktok_events.models.tiktok_source_event import EVENT_SET_ID


class Website(models.Model):
    _inherit = 'website'

    tiktok_crm_event_set_id = fields.Char(
        'TikTok CRM Event Set id', groups='base.group_system',
        help='The id of the CRM Event Set in TikTok Events Manager that receives the lead stage events '
             'of this website (and of leads of its company that came from no website). Empty: none are sent.')
    tiktok_crm_stage_event_ids = fields.One2many(
        'tiktok.crm.stage.event', 'website_id', string='TikTok lead stages', groups='base.group_system',
        help='Which TikTok lead stage each point of the pipeline sends. Empty: New → Raw, '
             'Qualified → Qualified, won → Converted, lost → Unqualified.')

    @api.constrains('tiktok_crm_event_set_id')
    def _check_tiktok_crm_event_set_id(self):
        for website in self:
            if website.tiktok_crm_event_set_id and not EVENT_SET_ID.match(website.tiktok_crm_event_set_id):
                raise ValidationError(self.env._(
                    'The TikTok CRM Event Set id may hold letters, digits, "-" and "_" only (at most 64).'))

    def _tiktok_crm_stage_map(self):
        """{pipeline key: TikTok lead stage}: this website's mapping, or the default one."""
        self.ensure_one()
        rows = self.sudo().tiktok_crm_stage_event_ids
        if not rows:
            return self.env['tiktok.crm.stage.event'].sudo()._default_map()
        return {row._key(): row.event for row in rows}
