from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.settings_resolution import (
    DEFAULT_RELAY_URL, PARAM_PREFIX, is_valid_pixel_id, is_valid_relay_url, normalize_pixel_id,
)


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    # Global defaults, inherited by every website that leaves its own field blank.
    tiktok_enabled = fields.Boolean(
        string='TikTok Pixel & Events API', config_parameter=PARAM_PREFIX + 'enabled')
    tiktok_pixel_id = fields.Char(string='Pixel ID', config_parameter=PARAM_PREFIX + 'pixel_id')
    tiktok_access_token = fields.Char(
        string='Events API access token', config_parameter=PARAM_PREFIX + 'access_token')
    tiktok_test_event_code = fields.Char(
        string='Test event code', config_parameter=PARAM_PREFIX + 'test_event_code')
    tiktok_relay_url = fields.Char(
        string='Relay URL', config_parameter=PARAM_PREFIX + 'relay_url', default=DEFAULT_RELAY_URL)
    tiktok_debug = fields.Boolean(string='Debug mode', config_parameter=PARAM_PREFIX + 'debug')
    tiktok_purchase_event_name = fields.Selection(
        [('Purchase', 'Purchase'), ('CompletePayment', 'CompletePayment')],
        string='Purchase sent as', config_parameter=PARAM_PREFIX + 'purchase_event_name', default='Purchase')
    tiktok_submit_form_event_name = fields.Selection(
        [('SubmitForm', 'SubmitForm'), ('Lead', 'Lead')],
        string='SubmitForm sent as', config_parameter=PARAM_PREFIX + 'submit_form_event_name',
        default='SubmitForm')
    tiktok_purchase_without_payment = fields.Boolean(
        string='Purchase without online payment',
        config_parameter=PARAM_PREFIX + 'purchase_without_payment')

    # Overrides of the website selected at the top of the settings page.
    website_tiktok_enabled = fields.Selection(
        related='website_id.tiktok_enabled', readonly=False)
    website_tiktok_pixel_id = fields.Char(related='website_id.tiktok_pixel_id', readonly=False)
    website_tiktok_access_token = fields.Char(
        related='website_id.tiktok_access_token', readonly=False, groups='base.group_system')
    website_tiktok_test_event_code = fields.Char(
        related='website_id.tiktok_test_event_code', readonly=False, groups='base.group_system')

    @api.constrains('tiktok_pixel_id', 'tiktok_relay_url')
    def _check_tiktok_global_settings(self):
        for settings in self:
            pixel_id = normalize_pixel_id(settings.tiktok_pixel_id)
            if pixel_id and not is_valid_pixel_id(pixel_id):
                raise ValidationError(_('The TikTok pixel ID is not a valid pixel code.'))
            relay_url = (settings.tiktok_relay_url or '').strip()
            if relay_url and not is_valid_relay_url(relay_url):
                raise ValidationError(_('The TikTok relay URL must be a path starting with / or an http(s) URL.'))
