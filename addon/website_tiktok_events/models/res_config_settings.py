from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.access import ADMINISTRATORS
from ..tools.settings_table import DATED_SETTINGS, global_param, set_at_param
from .settings_fields import settings_page_fields


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    # Per setting of tools/settings_table.py: its global default (inherited by
    # every website that leaves its own value blank), and the override of the
    # website selected at the top of the page.
    locals().update(settings_page_fields())

    @api.constrains('tiktok_pixel_id', 'tiktok_relay_url')
    def _check_tiktok_global_settings(self):
        for settings in self:
            problem = self.env['website']._tiktok_settings_value_problem(settings.tiktok_pixel_id,
                                                                         settings.tiktok_relay_url)
            if problem:
                raise ValidationError(problem)

    @api.constrains('tiktok_test_emails')
    def _check_tiktok_test_emails(self):
        for settings in self:
            problem = self.env['website']._tiktok_test_emails_problem(settings.tiktok_test_emails)
            if problem:
                raise ValidationError(problem)

    # The selected website's TikTok status (its form shows the same).
    tiktok_website_sidecar_status = fields.Selection(related='website_id.tiktok_sidecar_status',
                                                     groups=ADMINISTRATORS)
    tiktok_website_last_report = fields.Datetime(related='website_id.tiktok_last_report', groups=ADMINISTRATORS)
    tiktok_website_warnings = fields.Html(related='website_id.tiktok_warnings', groups=ADMINISTRATORS)
    tiktok_website_has_warnings = fields.Boolean(related='website_id.tiktok_has_warnings', groups=ADMINISTRATORS)
    tiktok_test_event_ready = fields.Boolean(
        compute='_compute_tiktok_test_event_ready', groups=ADMINISTRATORS,
        help='A test event code is in effect for the selected website (its own, or the global one).')

    @api.depends('website_id', 'tiktok_test_event_code', 'website_tiktok_test_event_code')
    def _compute_tiktok_test_event_ready(self):
        for settings in self:
            settings.tiktok_test_event_ready = bool(settings.website_id and (
                (settings.website_tiktok_test_event_code or '').strip()
                or (settings.tiktok_test_event_code or '').strip()))

    def set_values(self):
        params = self.env['ir.config_parameter'].sudo()
        before = {setting: (params.get_param(global_param(setting)) or '').strip() for setting in DATED_SETTINGS}
        super().set_values()
        for setting in DATED_SETTINGS:
            # When each dated global value was set: a new value restarts the clock, a blank one clears it.
            value = (params.get_param(global_param(setting)) or '').strip()
            if not value:
                params.set_param(set_at_param(setting), False)
            elif value != before[setting]:
                params.set_param(set_at_param(setting), fields.Datetime.to_string(fields.Datetime.now()))

    def action_tiktok_send_test_event(self):
        """Ask the sidecar for a test event of the selected website; a dialog follows TikTok's answer."""
        self.ensure_one()
        request = self.env['tiktok.test.event']._request(self.website_id)
        return {
            'type': 'ir.actions.client',
            'tag': 'website_tiktok_events.test_event',
            'name': _('TikTok test event: %(website)s', website=self.website_id.name),
            'target': 'new',
            'params': {'request_id': request.id},
        }
