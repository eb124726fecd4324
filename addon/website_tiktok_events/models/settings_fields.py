"""Odoo fields of the settings, made from the table in tools/settings_table.py."""
from odoo import fields

from ..tools.access import ADMINISTRATORS
from ..tools.settings_table import (
    DATED_SETTINGS, INHERIT, SETTINGS, choice_selection, global_param, set_at_field, settings_global_field,
    settings_website_field, website_field,
)

_USE_GLOBAL = (INHERIT, 'Use global setting')


def _readers(setting):
    return {'groups': ADMINISTRATORS} if setting.secret else {}


# Every TikTok field of `website` is for administrators only, secret or not:
# Odoo lets website designers write `website`, and each of these values is
# trusted by the pages, the sidecar or the Purchase rule (where browsers send
# their events, which pixel they feed, whether unpaid orders are Purchases,
# what is shared with TikTok...). Readable and writable by administrators
# only; the website form shows them to nobody else.
WEBSITE_FIELD_GROUPS = {'groups': ADMINISTRATORS}


def _website_override(setting):
    label = 'TikTok: %s' % setting.label
    if setting.kind == 'text':
        return fields.Char(string=label, help='%s Leave empty to use the global setting.' % setting.help,
                           copy=not setting.secret, **WEBSITE_FIELD_GROUPS)
    choices = [('on', 'On'), ('off', 'Off')] if setting.kind == 'flag' else choice_selection(setting)
    return fields.Selection([_USE_GLOBAL] + choices, string=label, default=INHERIT, required=True,
                            help=setting.help, **WEBSITE_FIELD_GROUPS)


def _global_default(setting):
    options = {'string': setting.label, 'help': setting.help, 'config_parameter': global_param(setting),
               **_readers(setting)}
    if setting.kind == 'flag':
        return fields.Boolean(**options)
    if setting.kind == 'choice':
        return fields.Selection(choice_selection(setting), default=setting.default, **options)
    return fields.Char(default=setting.default or None, **options)


def _selected_website_override(setting):
    field_class = fields.Char if setting.kind == 'text' else fields.Selection
    return field_class(related='website_id.%s' % website_field(setting), readonly=False, **WEBSITE_FIELD_GROUPS)


def _set_at(setting):
    return fields.Datetime(string='TikTok: %s set on' % setting.label, readonly=True, copy=False,
                           help='When this website\'s own value was set (empty: never, or cleared).',
                           **WEBSITE_FIELD_GROUPS)


def website_fields():
    """The per-website override of every setting, for the `website` model, and
    when the website's own value of each dated setting was set."""
    overrides = {website_field(setting): _website_override(setting) for setting in SETTINGS}
    overrides.update({set_at_field(setting): _set_at(setting) for setting in DATED_SETTINGS})
    return overrides


def settings_page_fields():
    """For `res.config.settings`: the global default of every setting, and the
    override of the website selected at the top of the page."""
    page = {settings_global_field(setting): _global_default(setting) for setting in SETTINGS}
    page.update({settings_website_field(setting): _selected_website_override(setting) for setting in SETTINGS})
    return page
