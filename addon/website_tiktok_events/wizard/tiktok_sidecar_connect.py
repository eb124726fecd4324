import time

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.settings_fields import ADMINISTRATORS
from ..tools.sidecar_connection import compose_snippet, environment_lines

SIDECAR_GROUP = 'website_tiktok_events.group_tiktok_sidecar'
PORTAL_GROUP = 'base.group_portal'
DEFAULT_LOGIN = 'tiktok-sidecar'
# JSON-2 and XML-RPC accept keys of this scope (or of none); "rpc" keeps the
# key away from anything else a scoped key could open.
KEY_SCOPE = 'rpc'


class TikTokSidecarConnect(models.TransientModel):
    """Connect the sidecar: its own least-privilege user and a fresh API key.

    The user is a portal user in the "TikTok sidecar" group and nothing else:
    the group's RPC methods check membership and read as superuser, so the key
    opens no partner, order or payment. Each run revokes the user's previous
    keys before making the new one, shown once and never stored in clear.
    """
    _name = 'tiktok.sidecar.connect'
    _description = 'Connect the TikTok sidecar'

    login = fields.Char(required=True, default=DEFAULT_LOGIN,
                        help='Login of the technical user the sidecar signs in as.')
    odoo_url = fields.Char(string='Odoo address', required=True,
                           default=lambda self: self.env['ir.config_parameter'].sudo().get_param('web.base.url'),
                           help='The address the sidecar calls Odoo at, as seen from the sidecar.')
    existing_user_id = fields.Many2one('res.users', compute='_compute_existing_user')
    existing_key_count = fields.Integer(compute='_compute_existing_user')
    rotation_warning = fields.Char(compute='_compute_existing_user')

    @api.depends('login')
    def _compute_existing_user(self):
        for wizard in self:
            user = wizard._find_user()
            wizard.existing_user_id = user
            count = self.env['res.users.apikeys'].sudo().search_count([('user_id', '=', user.id)]) if user else 0
            wizard.existing_key_count = count
            wizard.rotation_warning = _(
                '%(login)s already has %(count)s API key(s). A new key replaces them: the sidecar stops working '
                'until you give it the new one.', login=user.login, count=count) if count else False

    def _find_user(self):
        login = (self.login or '').strip()
        if not login:
            return self.env['res.users']
        return self.env['res.users'].sudo().with_context(active_test=False).search([('login', '=', login)], limit=1)

    def action_connect(self):
        """Make (or reuse) the sidecar's user, revoke its keys, show a new one once."""
        self.ensure_one()
        if not self.env.user.has_group(ADMINISTRATORS):
            raise AccessError(_('Only administrators can connect the TikTok sidecar.'))
        user = self._sidecar_user()
        keys = self.env['res.users.apikeys'].sudo()
        old_keys = keys.search([('user_id', '=', user.id)])
        rotated = bool(old_keys)
        old_keys._remove()
        since = int(time.time())
        key = keys.with_user(user).sudo()._generate(
            KEY_SCOPE, 'TikTok sidecar (%s)' % fields.Date.to_string(fields.Date.today()), None)
        db = self.env.cr.dbname
        return {
            'type': 'ir.actions.client',
            'tag': 'website_tiktok_events.sidecar_key',
            'name': _('Connect the TikTok sidecar'),
            'target': 'new',
            'params': {
                'login': user.login,
                'key': key,
                'env_lines': environment_lines(self.odoo_url.strip().rstrip('/'), db, user.login, key),
                'compose': compose_snippet(db, user.login, key),
                'since': since,
                'rotated': rotated,
            },
        }

    def _sidecar_user(self):
        """A portal user in the sidecar group only: created, or reset to exactly that."""
        groups = self.env.ref(PORTAL_GROUP) | self.env.ref(SIDECAR_GROUP)
        user = self._find_user()
        if user and user._is_internal():
            raise UserError(_('%(login)s is an internal user. The sidecar needs a user of its own with no '
                              'access to your data: choose another login.', login=user.login))
        if user:
            user.write({'active': True, 'group_ids': [fields.Command.set(groups.ids)]})
            return user
        return self.env['res.users'].sudo().with_context(no_reset_password=True).create({
            'name': _('TikTok sidecar'),
            'login': self.login.strip(),
            'group_ids': [fields.Command.set(groups.ids)],
        })
