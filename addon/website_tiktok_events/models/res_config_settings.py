from odoo import api, models
from odoo.exceptions import ValidationError

from ..tools.settings_fields import settings_page_fields
from ..tools.settings_resolution import settings_value_problem


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    # Per setting of tools/settings_table.py: its global default (inherited by
    # every website that leaves its own value blank), and the override of the
    # website selected at the top of the page.
    locals().update(settings_page_fields())

    @api.constrains('tiktok_pixel_id', 'tiktok_relay_url')
    def _check_tiktok_global_settings(self):
        for settings in self:
            problem = settings_value_problem(self.env, settings.tiktok_pixel_id, settings.tiktok_relay_url)
            if problem:
                raise ValidationError(problem)
