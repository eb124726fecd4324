import time

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools.misc import format_datetime

from ..tools.access import ADMINISTRATORS
from ..tools.control_room import REPLICA_SHOWN_SECONDS, overall_status, website_warning_codes
from ..tools.settings_table import SETTINGS_BY_KEY, set_at_field, set_at_param, website_field
from ..tools.timestamps import to_unix
from ..wizard.tiktok_sidecar_connect import sidecar_key_expiration

TEST_CODE = SETTINGS_BY_KEY['test_event_code']


class Website(models.Model):
    """Each website's TikTok status, for its form and the settings page."""
    _inherit = 'website'

    # The same words as the dashboard: the best status among the replicas of the last 24 hours.
    tiktok_sidecar_status = fields.Selection(
        [('connected', 'Connected'), ('lagging', 'Lagging'), ('down', 'Down'), ('never', 'Never connected')],
        string='TikTok sidecar', compute='_compute_tiktok_control_room', groups=ADMINISTRATORS,
        help='Connected: a sidecar replica reports on time. Lagging: it missed one report. '
             'Down: it missed two or more.')
    tiktok_last_report = fields.Datetime(string='Last sidecar report', compute='_compute_tiktok_control_room',
                                         groups=ADMINISTRATORS)
    tiktok_warnings = fields.Html(string='TikTok warnings', compute='_compute_tiktok_control_room',
                                  groups=ADMINISTRATORS, sanitize=False)
    tiktok_has_warnings = fields.Boolean(compute='_compute_tiktok_control_room', groups=ADMINISTRATORS)

    @api.depends_context('uid')
    def _compute_tiktok_control_room(self):
        replicas = self.env['tiktok.sidecar.report'].sudo().search([('last_seen', '!=', False)])
        last = replicas[:1].last_seen
        report_age = time.time() - to_unix(last) if last else None
        shown = replicas.filtered(lambda replica: time.time() - to_unix(replica.last_seen) <= REPLICA_SHOWN_SECONDS)
        status = overall_status(set(shown.mapped('status')))
        for website in self:
            warnings = website._tiktok_warnings(report_age, last)
            website.tiktok_sidecar_status = status
            website.tiktok_last_report = last
            website.tiktok_has_warnings = bool(warnings)
            website.tiktok_warnings = Markup('<ul class="mb-0">%s</ul>') % Markup().join(
                Markup('<li>%s</li>') % escape(warning) for warning in warnings) if warnings else False

    def _tiktok_test_code_age(self):
        """Seconds since the test event code in effect was set, or None when not known."""
        self.ensure_one()
        website = self.sudo()
        if (website[website_field(TEST_CODE)] or '').strip():
            set_at = website[set_at_field(TEST_CODE)]
        else:
            set_at = fields.Datetime.to_datetime(
                self.env['ir.config_parameter'].sudo().get_param(set_at_param(TEST_CODE)) or False)
        return time.time() - to_unix(set_at) if set_at else None

    def _tiktok_warnings(self, report_age, last_report):
        """What is off with this website's TikTok setup, one sentence each."""
        self.ensure_one()
        _ = self.env._
        resolved = self._tiktok_resolved_settings(with_secrets=True)
        key_expiry = sidecar_key_expiration(self.env)
        codes = website_warning_codes(resolved, self.cookies_bar, self._tiktok_test_code_age(), report_age,
                                      to_unix(key_expiry) - time.time() if key_expiry else None)
        sentences = {
            'no_token': _('No Events API access token: the browser pixel works, but the sidecar keeps this '
                          "website's server events (Purchase included) waiting until you paste a token "
                          '(TikTok Events Manager: your pixel, Settings, Events API).'),
            'no_cookie_bar': _("Odoo's cookie bar is off on this website, so TikTok gets events without asking "
                               'visitors. Where the law requires consent (European Union, United Kingdom…), turn '
                               'the cookie bar on: TikTok then waits until a visitor accepts optional cookies, in '
                               'the browser and on the server.'),
            'test_code_left_on': _('A test event code has been set for more than a day: server events go to '
                                   "TikTok's Test events and are not used for your ads. Remove the code once your "
                                   'tests are done.'),
            'sidecar_key_expiring': _('The API key of the TikTok sidecar expires on %(when)s: then nothing is '
                                      'sent any more. Use "Connect the sidecar" for a new key and give it to the '
                                      'sidecar before that day.',
                                      when=format_datetime(self.env, key_expiry) if key_expiry else ''),
            'sidecar_never': _('No TikTok sidecar has reported yet: no server event and no Purchase is sent. '
                               'Use "Connect the sidecar" in the settings.'),
            'sidecar_silent': _('The TikTok sidecar has not reported since %(when)s: server events and Purchases '
                                'wait until it is back.',
                                when=format_datetime(self.env, last_report) if last_report else ''),
        }
        warnings = [sentences[code] for code in codes]
        if resolved.get('enabled') and resolved.get('pixel_id') and report_age is not None:
            warnings += [problem['sentence'] for problem in self.env['tiktok.sidecar.report']._lane_problems(
                self.env['tiktok.sidecar.report'].sudo().search([]).filtered(lambda r: r.status != 'down'),
                self.sudo())]
        return warnings
