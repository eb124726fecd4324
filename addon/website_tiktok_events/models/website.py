from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.settings_resolution import (
    invalid_test_email_entries, is_valid_pixel_id, is_valid_relay_url, normalize_pixel_id, resolve_settings,
    tracking_problem,
)
from ..tools.settings_table import (
    DATED_SETTINGS, SECRET_KEYS, SETTINGS, global_param, parse_global_value, set_at_field, website_field,
)
from .settings_fields import website_fields
from .tiktok_claim_queue import check_sidecar_caller


class Website(models.Model):
    """The website's TikTok settings: its own values over the global ones,
    their checks, and what the sidecar reads of them. Page tracking is in
    website_page_tracking.py, the control room's status in
    website_control_room.py."""
    _inherit = 'website'

    # One override per setting of tools/settings_table.py: blank or "Use
    # global setting" inherits; secrets readable by administrators only.
    locals().update(website_fields())

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            for setting in DATED_SETTINGS:
                if (vals.get(website_field(setting)) or '').strip():
                    vals.setdefault(set_at_field(setting), now)
        return super().create(vals_list)

    def write(self, vals):
        dated = [setting for setting in DATED_SETTINGS if website_field(setting) in vals]
        if not dated:
            return super().write(vals)
        before = {website.id: {setting: (website.sudo()[website_field(setting)] or '').strip() for setting in dated}
                  for website in self}
        result = super().write(vals)
        now = fields.Datetime.now()
        for website in self.sudo():
            # When each dated value was set: a new value restarts the clock, a blank one clears it.
            stamps = {}
            for setting in dated:
                value = (website[website_field(setting)] or '').strip()
                if not value:
                    stamps[set_at_field(setting)] = False
                elif value != before[website.id][setting]:
                    stamps[set_at_field(setting)] = now
            if stamps:
                super(Website, website).write(stamps)
        return result

    @api.constrains('tiktok_test_emails')
    def _check_tiktok_test_emails(self):
        for website in self.sudo():
            problem = self._tiktok_test_emails_problem(website.tiktok_test_emails)
            if problem:
                raise ValidationError(_('%(website)s: %(problem)s', website=website.name, problem=problem))

    @api.constrains('tiktok_pixel_id', 'tiktok_relay_url')
    def _check_tiktok_overrides(self):
        for website in self.sudo():
            problem = self._tiktok_settings_value_problem(website.tiktok_pixel_id, website.tiktok_relay_url)
            if problem:
                raise ValidationError(_('%(website)s: %(problem)s', website=website.name, problem=problem))

    @api.model
    def _tiktok_settings_value_problem(self, pixel_id, relay_url):
        """Why a pixel id or relay URL typed in the settings is refused (translated), or None."""
        pixel_id = normalize_pixel_id(pixel_id)
        if pixel_id and not is_valid_pixel_id(pixel_id):
            return self.env._('The TikTok pixel ID is not a valid pixel code '
                              '(letters and digits, as in Events Manager).')
        relay_url = (relay_url or '').strip()
        if relay_url and not is_valid_relay_url(relay_url):
            return self.env._('The TikTok relay URL must be a path of the shop starting with / (default /tiktok/relay) '
                              'or the https URL of the sidecar (http only on localhost), without a user name or '
                              'password.')
        return None

    @api.model
    def _tiktok_test_emails_problem(self, value):
        """Why a test buyers text typed in the settings is refused (translated), or None."""
        invalid = invalid_test_email_entries(value)
        if invalid:
            return self.env._(
                'TikTok test buyers: %(entries)s is neither an e-mail address (qa@shop.example) '
                'nor a domain (@shop.example or shop.example).', entries=', '.join(invalid))
        return None

    # ------------------------------------------------------------------
    # Settings resolution
    # ------------------------------------------------------------------

    @api.model
    def _tiktok_global_settings(self, with_secrets=False):
        """Global defaults from ir.config_parameter (read as superuser: the
        public visitor rendering a page cannot read parameters)."""
        params = self.env['ir.config_parameter'].sudo()
        return {
            setting.key: parse_global_value(setting, params.get_param(global_param(setting), False))
            for setting in SETTINGS if with_secrets or not setting.secret
        }

    def _tiktok_resolved_settings(self, with_secrets=False):
        """Effective TikTok settings of this website (blank/'global' inherits).

        The token and the test event code are only returned when asked for, by
        callers that already checked the caller's rights: page rendering never
        touches them.
        """
        self.ensure_one()
        # Read as superuser: a visitor rendering a page may not read the
        # restricted fields, and secrets are dropped below unless asked for.
        website = self.sudo()
        website_values = {
            setting.key: website[website_field(setting)]
            for setting in SETTINGS if with_secrets or not setting.secret
        }
        resolved = resolve_settings(self._tiktok_global_settings(with_secrets=with_secrets), website_values)
        return resolved if with_secrets else {key: value for key, value in resolved.items() if key not in SECRET_KEYS}

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
        check_sidecar_caller(self.env, _('Only the TikTok sidecar and administrators can read the TikTok settings.'))
        websites = self.sudo().with_context(active_test=False).search([], order='id')
        return [website._tiktok_sidecar_entry() for website in websites]

    def _tiktok_sidecar_entry(self):
        self.ensure_one()
        resolved = self._tiktok_resolved_settings(with_secrets=True)
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
            'match_keys': resolved['match_keys'],
            'limited_data_use': resolved['limited_data_use'],
            'gpc': resolved['gpc'],
        }
        if resolved['test_event_code']:
            entry['test_event_code'] = resolved['test_event_code']
        return entry
