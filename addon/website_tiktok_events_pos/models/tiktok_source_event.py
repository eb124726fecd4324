from odoo import models

from odoo.addons.website_tiktok_events.models.tiktok_claim_queue import more_skip_reasons


class TikTokSourceEvent(models.Model):
    _inherit = 'tiktok.source.event'

    skip_reason = more_skip_reasons([
        ('anonymous', 'An anonymous sale (no customer, or one without e-mail and phone)'),
        ('too_old', 'Older than TikTok accepts (28 days)'),
    ])
