from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.http import request

from ..tools import hashing
from ..tools.page_config import disabled_comment, new_page_event_id, script_safe_json, without_empty
from ..tools.settings_resolution import (
    DEFAULT_RELAY_URL, INHERIT, PARAM_PREFIX, is_valid_pixel_id, is_valid_relay_url,
    normalize_pixel_id, resolve_settings, tracking_problem,
)

SIDECAR_GROUP = 'website_tiktok_events.group_tiktok_sidecar'
# Secrets of the website: administrators only (the sidecar reads them through
# tiktok_sidecar_settings(), as superuser).
SECRET_GROUPS = 'base.group_system'

TRI_STATE = [(INHERIT, 'Use global setting'), ('on', 'On'), ('off', 'Off')]

# Global defaults: result key -> ir.config_parameter key.
_GLOBAL_PARAMS = {
    'enabled': PARAM_PREFIX + 'enabled',
    'pixel_id': PARAM_PREFIX + 'pixel_id',
    'test_event_code': PARAM_PREFIX + 'test_event_code',
    'relay_url': PARAM_PREFIX + 'relay_url',
    'debug': PARAM_PREFIX + 'debug',
    'purchase_event_name': PARAM_PREFIX + 'purchase_event_name',
    'submit_form_event_name': PARAM_PREFIX + 'submit_form_event_name',
    'purchase_without_payment': PARAM_PREFIX + 'purchase_without_payment',
}
_GLOBAL_TOKEN_PARAM = PARAM_PREFIX + 'access_token'
_GLOBAL_FLAGS = ('enabled', 'debug', 'purchase_without_payment')
# Never rendered into a page.
_SECRET_KEYS = ('access_token', 'test_event_code')

# Per-website fields: result key -> field name (the token is read separately).
_WEBSITE_FIELDS = {
    'enabled': 'tiktok_enabled',
    'pixel_id': 'tiktok_pixel_id',
    'test_event_code': 'tiktok_test_event_code',
    'relay_url': 'tiktok_relay_url',
    'debug': 'tiktok_debug',
    'purchase_event_name': 'tiktok_purchase_event_name',
    'submit_form_event_name': 'tiktok_submit_form_event_name',
    'purchase_without_payment': 'tiktok_purchase_without_payment',
}


class Website(models.Model):
    _inherit = 'website'

    tiktok_enabled = fields.Selection(
        TRI_STATE, string='TikTok tracking', default=INHERIT, required=True,
        help='Turn TikTok tracking on or off for this website, or follow the global setting.')
    tiktok_pixel_id = fields.Char(
        string='TikTok pixel ID', help='Leave empty to use the global pixel ID.')
    tiktok_access_token = fields.Char(
        string='TikTok Events API token', groups=SECRET_GROUPS, copy=False,
        help='Leave empty to use the global token. Never rendered in pages.')
    tiktok_test_event_code = fields.Char(
        string='TikTok test event code', groups=SECRET_GROUPS,
        help='Leave empty to use the global test event code.')
    tiktok_relay_url = fields.Char(
        string='TikTok relay URL', help='Leave empty to use the global relay URL.')
    tiktok_debug = fields.Selection(
        TRI_STATE, string='TikTok debug mode', default=INHERIT, required=True)
    tiktok_purchase_event_name = fields.Selection(
        [(INHERIT, 'Use global setting'), ('Purchase', 'Purchase'), ('CompletePayment', 'CompletePayment')],
        string='TikTok name of Purchase', default=INHERIT, required=True)
    tiktok_submit_form_event_name = fields.Selection(
        [(INHERIT, 'Use global setting'), ('SubmitForm', 'SubmitForm'), ('Lead', 'Lead')],
        string='TikTok name of SubmitForm', default=INHERIT, required=True)
    tiktok_purchase_without_payment = fields.Selection(
        TRI_STATE, string='TikTok Purchase without online payment', default=INHERIT, required=True,
        help='Send Purchase for orders confirmed without an online payment (e.g. wire transfer).')

    @api.constrains('tiktok_pixel_id', 'tiktok_relay_url')
    def _check_tiktok_overrides(self):
        for website in self:
            pixel_id = normalize_pixel_id(website.tiktok_pixel_id)
            if pixel_id and not is_valid_pixel_id(pixel_id):
                raise ValidationError(_('The TikTok pixel ID of %s is not a valid pixel code.', website.name))
            relay_url = (website.tiktok_relay_url or '').strip()
            if relay_url and not is_valid_relay_url(relay_url):
                raise ValidationError(_(
                    'The TikTok relay URL of %s must be a path starting with / or an http(s) URL.',
                    website.name))

    # ------------------------------------------------------------------
    # Settings resolution
    # ------------------------------------------------------------------

    @api.model
    def _tiktok_global_settings(self, with_token=False):
        """Global defaults from ir.config_parameter (read as superuser: the
        public visitor rendering a page cannot read parameters)."""
        params = self.env['ir.config_parameter'].sudo()
        values = {key: params.get_param(param, False) for key, param in _GLOBAL_PARAMS.items()}
        for key in _GLOBAL_FLAGS:
            values[key] = values[key] in ('True', 'true', '1')
        if values['relay_url'] is False:
            values['relay_url'] = DEFAULT_RELAY_URL
        if with_token:
            values['access_token'] = params.get_param(_GLOBAL_TOKEN_PARAM, False)
        return values

    def _tiktok_resolved_settings(self, with_token=False):
        """Effective TikTok settings of this website (blank/'global' inherits).

        The token and the test event code are only returned when asked for, by
        callers that already checked the caller's rights: page rendering never
        touches them.
        """
        self.ensure_one()
        # Read as superuser: a visitor rendering a page may not read the
        # restricted fields, and secrets are dropped below unless asked for.
        website = self.sudo()
        website_values = {key: website[field] for key, field in _WEBSITE_FIELDS.items()}
        if with_token:
            website_values['access_token'] = website.tiktok_access_token
        resolved = resolve_settings(self._tiktok_global_settings(with_token=with_token), website_values)
        if not with_token:
            for secret in _SECRET_KEYS:
                resolved.pop(secret, None)
        return resolved

    def _tiktok_tracking_active(self):
        self.ensure_one()
        return tracking_problem(self._tiktok_resolved_settings()) is None

    def _tiktok_domains(self):
        """Origins (scheme://host[:port]) the website is served from."""
        self.ensure_one()
        url = self.domain or self.env['ir.config_parameter'].sudo().get_param('web.base.url') or ''
        if '://' not in url:
            url = 'https://' + url if url else ''
        parts = urlsplit(url.strip())
        if not parts.scheme or not parts.netloc:
            return []
        return ['%s://%s' % (parts.scheme.lower(), parts.netloc.lower())]

    # ------------------------------------------------------------------
    # Sidecar RPC
    # ------------------------------------------------------------------

    @api.model
    def tiktok_sidecar_settings(self):
        """Resolved settings of every website, token included, for the sidecar.

        Callable over RPC (JSON-2 / XML-RPC) by members of the "TikTok sidecar"
        group and by administrators only. Shape: docs/CONTRACTS.md §5.
        """
        user = self.env.user
        if not (self.env.su or user.has_group('base.group_system') or user.has_group(SIDECAR_GROUP)):
            raise AccessError(_('Only the TikTok sidecar and administrators can read the TikTok settings.'))
        websites = self.sudo().with_context(active_test=False).search([], order='id')
        return [website._tiktok_sidecar_entry() for website in websites]

    def _tiktok_sidecar_entry(self):
        self.ensure_one()
        resolved = self._tiktok_resolved_settings(with_token=True)
        entry = {
            'website_id': self.id,
            'name': self.name,
            'enabled': resolved['enabled'],
            'pixel_id': resolved['pixel_id'],
            'access_token': resolved['access_token'],
            'domains': self._tiktok_domains(),
            'event_names': resolved['event_names'],
            'consent_required': bool(self.cookies_bar),
            'purchase_without_payment': resolved['purchase_without_payment'],
            'debug': resolved['debug'],
        }
        if resolved['test_event_code']:
            entry['test_event_code'] = resolved['test_event_code']
        return entry

    # ------------------------------------------------------------------
    # Page injection
    # ------------------------------------------------------------------

    def _tiktok_page_config(self, main_object=None, combination_info=None, purchase_order=None):
        """Everything website.layout needs to inject the pixel into <head>.

        Returns a dict: ``problem`` (why nothing is injected, or None),
        ``comment`` (the HTML comment saying so), ``pixel_id``,
        ``consent_required``, ``debug`` and ``config_json`` (the blob of
        docs/CONTRACTS.md §2 as script-safe Markup).
        """
        self.ensure_one()
        resolved = self._tiktok_resolved_settings()
        problem = tracking_problem(resolved)
        if problem:
            return {'problem': problem, 'comment': disabled_comment(problem), 'debug': resolved['debug']}
        consent_required = bool(self.cookies_bar)
        blob = {
            'pixel_id': resolved['pixel_id'],
            'website_id': self.id,
            'relay_url': resolved['relay_url'],
            'page_event_id': new_page_event_id(),
            'currency': self.currency_id.name,
            'debug': resolved['debug'],
            'consent_required': consent_required,
            'event_names': resolved['event_names'],
            'identify': self._tiktok_identify_data(),
            'product': self._tiktok_product_data(main_object, combination_info),
            'purchase': purchase_order._tiktok_purchase_data() if purchase_order else None,
        }
        # Contract: absent keys are omitted, never null. Flags stay explicit.
        blob = {
            key: value for key, value in blob.items()
            if key in ('debug', 'consent_required') or key in without_empty(blob)
        }
        return {
            'problem': None,
            'pixel_id': resolved['pixel_id'],
            'consent_required': consent_required,
            'debug': resolved['debug'],
            'config_json': script_safe_json(blob),
        }

    def _tiktok_identify_data(self):
        """Hashed match keys of the logged-in visitor (nothing for the public user)."""
        if not request or not request.env.user or request.env.user._is_public():
            return None
        partner = request.env.user.sudo().partner_id
        return hashing.identify_payload(
            email=partner.email,
            phone=partner.phone,
            country_calling_code=partner.country_id.phone_code,
            external_id=partner.id,
        ) or None

    def _tiktok_product_data(self, main_object, combination_info):
        if not main_object or getattr(main_object, '_name', None) != 'product.template' or len(main_object) != 1:
            return None
        # The product page's own combination (it honours attribute values in the
        # URL); recompute only when the page did not provide it.
        if not isinstance(combination_info, dict) or combination_info.get('product_template_id') != main_object.id:
            combination_info = main_object._get_combination_info()
        return main_object._tiktok_product_data(combination_info, self) or None
