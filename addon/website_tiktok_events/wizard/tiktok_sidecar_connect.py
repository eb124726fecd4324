import logging
import secrets
import time
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.tiktok_claim_queue import SIDECAR_GROUP
from ..tools.access import ADMINISTRATORS
from ..tools.sidecar_connection import compose_snippet, environment_lines

_logger = logging.getLogger(__name__)

PORTAL_GROUP = 'base.group_portal'
DEFAULT_LOGIN = 'tiktok-sidecar'
# The user this wizard created, by id: a system parameter, which only
# administrators can write. The wizard reuses that user and no other: a login
# is no proof of who made an account (anyone can sign up with any free login).
SIDECAR_USER_PARAM = 'website_tiktok_events.sidecar_user_id'
# JSON-2 and XML-RPC accept keys of this scope (or of none); "rpc" keeps the
# key away from anything else a scoped key could open.
KEY_SCOPE = 'rpc'
# How long a new key works (days; 0: until the next connection revokes it).
# An expiring key stops the sidecar on its last day: the control room warns
# KEY_EXPIRY_WARNING_DAYS before (tools/control_room.py).
KEY_LIFETIMES = [
    ('0', 'Until I connect the sidecar again'),
    ('90', '90 days'),
    ('365', '1 year'),
]


def connected_sidecar_user(env):
    """The user the wizard made for the sidecar (an empty recordset when none, or gone)."""
    value = env['ir.config_parameter'].sudo().get_param(SIDECAR_USER_PARAM) or ''
    user_id = int(value) if value.isdigit() else 0
    return env['res.users'].sudo().with_context(active_test=False).browse(user_id).exists()


def sidecar_key_expiration(env):
    """When the sidecar's key stops working: the latest expiry of its user's
    keys (None when one never expires, or when there is no key)."""
    user = connected_sidecar_user(env)
    if not user:
        return None
    keys = env['res.users.apikeys'].sudo().search([('user_id', '=', user.id)])
    if not keys or not all(keys.mapped('expiration_date')):
        return None
    return max(keys.mapped('expiration_date'))


class TikTokSidecarConnect(models.TransientModel):
    """Connect the sidecar: its own least-privilege user and a fresh API key.

    The user is a portal user in the "TikTok sidecar" group and nothing else:
    the group's RPC methods check membership and read as superuser, so the key
    opens no partner, order or payment. The wizard only ever uses a user it
    created itself (remembered in a system parameter): an existing account
    with the typed login, whoever made it, is refused, never adopted. Each run
    resets that user's credentials (a random password nobody knows, its
    previous keys revoked) before making the new key, shown once and never
    stored in clear; other portal users left in the group lose it.
    """
    _name = 'tiktok.sidecar.connect'
    _description = 'Connect the TikTok sidecar'

    login = fields.Char(required=True, default=lambda self: self._default_login(),
                        help='Login of the technical user the sidecar signs in as.')
    odoo_url = fields.Char(string='Odoo address', required=True,
                           default=lambda self: self.env['ir.config_parameter'].sudo().get_param('web.base.url'),
                           help='The address the sidecar calls Odoo at, as seen from the sidecar.')
    key_lifetime = fields.Selection(
        KEY_LIFETIMES, string='Key valid', required=True, default='0',
        help='An expiring key limits what a leaked key is worth; connect the sidecar again before it expires '
             '(the TikTok settings warn two weeks before).')
    existing_user_id = fields.Many2one('res.users', compute='_compute_existing_user')
    existing_key_count = fields.Integer(compute='_compute_existing_user')
    rotation_warning = fields.Char(compute='_compute_existing_user')
    login_problem = fields.Char(string='Login problem', compute='_compute_existing_user')

    @api.model
    def _default_login(self):
        """The sidecar user's login when the wizard made one; else the usual
        login when nobody holds it; else that login with a random suffix."""
        ours = connected_sidecar_user(self.env)
        if ours:
            return ours.login
        if not self._users_with_login(DEFAULT_LOGIN):
            return DEFAULT_LOGIN
        return '%s-%s' % (DEFAULT_LOGIN, secrets.token_hex(3))

    @api.depends('login')
    def _compute_existing_user(self):
        ours = connected_sidecar_user(self.env)
        for wizard in self:
            holder = wizard._users_with_login(wizard.login)
            user = holder if holder and holder == ours else self.env['res.users']
            wizard.existing_user_id = user
            wizard.login_problem = wizard._login_problem(holder, ours) if holder else False
            count = self.env['res.users.apikeys'].sudo().search_count([('user_id', '=', user.id)]) if user else 0
            wizard.existing_key_count = count
            wizard.rotation_warning = _(
                '%(login)s already has %(count)s API key(s). A new key replaces them: the sidecar stops working '
                'until you give it the new one.', login=user.login, count=count) if count else False

    def _users_with_login(self, login):
        login = (login or '').strip()
        if not login:
            return self.env['res.users']
        return self.env['res.users'].sudo().with_context(active_test=False).search([('login', '=', login)], limit=1)

    @api.model
    def _login_problem(self, holder, ours):
        """Why `holder` (the account with the typed login) cannot be the sidecar's, or None."""
        if holder == ours:
            return None
        if holder._is_internal():
            return _('%(login)s is an internal user. The sidecar needs a user of its own with no '
                     'access to your data: choose another login.', login=holder.login)
        return _('An account with the login %(login)s already exists and was not made by this wizard (anyone '
                 'can sign up with a free login). It is not used: choose another login (for example '
                 '%(suggestion)s), or archive that account and rename its login first.',
                 login=holder.login, suggestion='%s-%s' % (DEFAULT_LOGIN, secrets.token_hex(3)))

    def action_connect(self):
        """Make (or reset) the sidecar's own user, revoke its keys, show a new one once."""
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
            KEY_SCOPE, 'TikTok sidecar (%s)' % fields.Date.to_string(fields.Date.today()), self._key_expiration())
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

    def _key_expiration(self):
        """When the new key stops working (None: never)."""
        days = int(self.key_lifetime or 0)
        return fields.Datetime.now() + timedelta(days=days) if days else None

    def _sidecar_user(self):
        """The wizard's own user with the typed login, created or reset: a portal
        user in the sidecar group only, active, with a password nobody knows."""
        login = (self.login or '').strip()
        if not login:
            raise UserError(_('Type the login of the sidecar user.'))
        groups = self.env.ref(PORTAL_GROUP) | self.env.ref(SIDECAR_GROUP)
        ours = connected_sidecar_user(self.env)
        holder = self._users_with_login(login)
        problem = holder and self._login_problem(holder, ours)
        if problem:
            raise UserError(problem)
        # Nobody signs in with a password: the key is the sidecar's only credential,
        # and a new password ends every session opened with an old one.
        credentials = {'password': secrets.token_urlsafe(48)}
        if holder:
            user = holder
            user.write({'active': True, 'group_ids': [fields.Command.set(groups.ids)], **credentials})
        else:
            user = self.env['res.users'].sudo().with_context(no_reset_password=True).create({
                'name': _('TikTok sidecar'),
                'login': login,
                'group_ids': [fields.Command.set(groups.ids)],
                **credentials,
            })
            self.env['ir.config_parameter'].sudo().set_param(SIDECAR_USER_PARAM, str(user.id))
        self._retire_other_sidecar_users(user)
        return user

    def _retire_other_sidecar_users(self, user):
        """The group is the sidecar's: portal users left in it (an earlier
        user of the sidecar, or an account adopted by an earlier release of
        this wizard) lose it, and their keys."""
        group = self.env.ref(SIDECAR_GROUP)
        others = group.sudo().with_context(active_test=False).user_ids.filtered(
            lambda other: other != user and not other._is_internal())
        if others:
            _logger.info('TikTok sidecar connected as %s: %s removed from the sidecar group',
                         user.login, ', '.join(others.mapped('login')))
            others.write({'group_ids': [fields.Command.unlink(group.id)]})
            self.env['res.users.apikeys'].sudo().search([('user_id', 'in', others.ids)])._remove()
