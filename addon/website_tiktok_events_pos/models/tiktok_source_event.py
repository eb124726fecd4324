from odoo import fields, models


class TikTokSourceEvent(models.Model):
    _inherit = 'tiktok.source.event'

    skip_reason = fields.Selection(
        selection_add=[
            ('anonymous', 'An anonymous sale (no customer, or one without e-mail and phone)'),
            ('too_old', 'Older than TikTok accepts (28 days)'),
        ],
        ondelete={'anonymous': 'set null', 'too_old': 'set null'},
    )
