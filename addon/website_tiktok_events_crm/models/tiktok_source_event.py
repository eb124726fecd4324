from odoo import fields, models


class TikTokSourceEvent(models.Model):
    _inherit = 'tiktok.source.event'

    skip_reason = fields.Selection(
        selection_add=[
            ('not_from_tiktok', 'A lead made in the back office (neither a website form nor a TikTok lead form)'),
            ('no_consent', 'The visitor who sent the form refused optional cookies'),
        ],
        ondelete={'not_from_tiktok': 'set null', 'no_consent': 'set null'},
    )
