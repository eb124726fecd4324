from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.website_tiktok_events.models.tiktok_source_event import EVENT_SET_ID


class PosConfig(models.Model):
    _inherit = 'pos.config'

    tiktok_offline_event_set_id = fields.Char(
        'TikTok Offline Event Set id', groups='base.group_system', copy=False,
        help='The id of the Offline Event Set in TikTok Events Manager that receives the paid orders '
             'of this point of sale as offline Purchases. Empty: none are sent.')
    tiktok_website_id = fields.Many2one(
        'website', string='TikTok website', groups='base.group_system', ondelete='set null', copy=False,
        help='The website whose TikTok Events API access token sends the offline events of this point of sale.')

    @api.constrains('tiktok_offline_event_set_id', 'tiktok_website_id', 'company_id')
    def _check_tiktok_offline(self):
        for config in self.sudo():
            event_set = config.tiktok_offline_event_set_id
            if not event_set:
                continue
            if not EVENT_SET_ID.match(event_set):
                raise ValidationError(self.env._(
                    'The TikTok Offline Event Set id may hold letters, digits, "-" and "_" only (at most 64).'))
            if not config.tiktok_website_id:
                raise ValidationError(self.env._(
                    'Choose the website whose TikTok access token sends the offline events of %(pos)s.',
                    pos=config.name))
            if config.tiktok_website_id.company_id not in (config.company_id, self.env['res.company']):
                raise ValidationError(self.env._(
                    'The TikTok website of %(pos)s belongs to another company.', pos=config.name))
