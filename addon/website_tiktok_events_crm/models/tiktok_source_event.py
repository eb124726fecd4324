from odoo import models

from odoo.addons.website_tiktok_events.models.tiktok_claim_queue import more_skip_reasons


class TikTokSourceEvent(models.Model):
    _inherit = 'tiktok.source.event'

    skip_reason = more_skip_reasons([
        ('not_from_tiktok', 'A lead made in the back office (neither a website form nor a TikTok lead form)'),
        ('no_consent', 'The visitor who sent the form refused optional cookies'),
    ])
