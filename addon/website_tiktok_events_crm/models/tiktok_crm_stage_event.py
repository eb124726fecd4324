from odoo import api, fields, models
from odoo.exceptions import ValidationError

# TikTok's lead stages for CRM events (docs/CONTRACTS.md §8); the sidecar and
# the test fake of the Events API hold the same list.
LEAD_STAGES = [
    ('Raw', 'Raw'),
    ('Qualified', 'Qualified'),
    ('Unqualified', 'Unqualified'),
    ('Contacted', 'Contacted'),
    ('Converted', 'Converted'),
]
TRIGGERS = [
    ('stage', 'Stage reached'),
    ('won', 'Marked as won'),
    ('lost', 'Marked as lost'),
]
# Used while a website has no mapping of its own: the stages Odoo's CRM creates.
DEFAULT_MAPPING = (
    ('stage', 'crm.stage_lead1', 'Raw'),
    ('stage', 'crm.stage_lead2', 'Qualified'),
    ('won', None, 'Converted'),
    ('lost', None, 'Unqualified'),
)


def mapping_key(trigger, stage_id=None):
    """The key of a reached point of the pipeline; also a part of the event id."""
    return 'stage:%d' % stage_id if trigger == 'stage' else trigger


class TikTokCrmStageEvent(models.Model):
    """Which TikTok lead stage a point of a website's pipeline sends."""
    _name = 'tiktok.crm.stage.event'
    _description = 'TikTok CRM stage event'
    _order = 'website_id, trigger, id'

    website_id = fields.Many2one('website', required=True, ondelete='cascade', index=True)
    trigger = fields.Selection(TRIGGERS, required=True, default='stage')
    stage_id = fields.Many2one('crm.stage', ondelete='cascade')
    event = fields.Selection(LEAD_STAGES, string='TikTok lead stage', required=True)

    @api.constrains('trigger', 'stage_id')
    def _check_stage(self):
        for row in self:
            if (row.trigger == 'stage') != bool(row.stage_id):
                raise ValidationError(self.env._('Choose a stage for "Stage reached", and none for won or lost.'))
        keys = [(row.website_id.id, row._key()) for row in self.search([('website_id', 'in', self.website_id.ids)])]
        if len(keys) != len(set(keys)):
            raise ValidationError(self.env._('Each stage (and won, and lost) is mapped at most once per website.'))

    def _key(self):
        self.ensure_one()
        return mapping_key(self.trigger, self.stage_id.id)

    @api.model
    def _default_map(self):
        mapping = {}
        for trigger, stage_xmlid, event in DEFAULT_MAPPING:
            stage = self.env.ref(stage_xmlid, raise_if_not_found=False) if stage_xmlid else None
            if trigger == 'stage' and not stage:
                continue
            mapping[mapping_key(trigger, stage.id if stage else None)] = event
        return mapping
