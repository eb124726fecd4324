"""Resolution of the per-website TikTok settings over the global defaults.

Pure functions: the Odoo models only gather the raw values and call these.
"""
import re

PARAM_PREFIX = 'website_tiktok_events.'
DEFAULT_RELAY_URL = '/tiktok/relay'

# Per-website selection value meaning "use the global default".
INHERIT = 'global'

PURCHASE_NAMES = ('Purchase', 'CompletePayment')
SUBMIT_FORM_NAMES = ('SubmitForm', 'Lead')

# TikTok pixel codes are 20 upper-case alphanumerics today; the range leaves room
# for format changes while still refusing anything that could break out of a
# JavaScript string or carry markup.
_PIXEL_ID = re.compile(r'^[A-Z0-9]{10,32}$')
_ABSOLUTE_URL = re.compile(r'^https?://[^\s/?#]+(/[^\s]*)?$', re.IGNORECASE)
_RELATIVE_PATH = re.compile(r'^/(?!/)[^\s]*$')


def normalize_pixel_id(value):
    return (value or '').strip().upper()


def is_valid_pixel_id(value):
    return bool(_PIXEL_ID.match(value or ''))


def is_valid_relay_url(value):
    """A same-site path (``/tiktok/relay``) or an absolute http(s) URL."""
    return bool(value) and bool(_RELATIVE_PATH.match(value) or _ABSOLUTE_URL.match(value))


def _text(value):
    return (value or '').strip() if isinstance(value, str) else ''


def _pick_text(website_value, global_value):
    """Blank per-website text inherits the global one."""
    return _text(website_value) or _text(global_value)


def _pick_flag(website_value, global_value):
    """Tri-state per-website flag: 'on' / 'off' override, anything else inherits."""
    if website_value == 'on':
        return True
    if website_value == 'off':
        return False
    return bool(global_value)


def _pick_choice(website_value, global_value, allowed):
    if website_value in allowed:
        return website_value
    if global_value in allowed:
        return global_value
    return allowed[0]


def resolve_settings(global_values, website_values):
    """Effective settings of one website.

    ``global_values`` holds the global defaults keyed like the result
    (``enabled``, ``pixel_id``, ``access_token``, ``test_event_code``,
    ``relay_url``, ``debug``, ``purchase_event_name``,
    ``submit_form_event_name``, ``purchase_without_payment``);
    ``website_values`` holds the raw per-website fields under the same keys
    (blank text or ``'global'`` means inherit).
    """
    relay_url = _pick_text(website_values.get('relay_url'), global_values.get('relay_url'))
    return {
        'enabled': _pick_flag(website_values.get('enabled'), global_values.get('enabled')),
        'pixel_id': normalize_pixel_id(
            _pick_text(website_values.get('pixel_id'), global_values.get('pixel_id'))),
        'access_token': _pick_text(website_values.get('access_token'), global_values.get('access_token')),
        'test_event_code': _pick_text(
            website_values.get('test_event_code'), global_values.get('test_event_code')),
        'relay_url': relay_url,
        'debug': _pick_flag(website_values.get('debug'), global_values.get('debug')),
        'purchase_without_payment': _pick_flag(
            website_values.get('purchase_without_payment'), global_values.get('purchase_without_payment')),
        'event_names': {
            'Purchase': _pick_choice(
                website_values.get('purchase_event_name'), global_values.get('purchase_event_name'),
                PURCHASE_NAMES),
            'SubmitForm': _pick_choice(
                website_values.get('submit_form_event_name'), global_values.get('submit_form_event_name'),
                SUBMIT_FORM_NAMES),
        },
    }


def tracking_problem(resolved):
    """Why the pixel must not be injected, or None when it can be.

    The reason is rendered into an HTML comment: it never quotes a value.
    """
    if not resolved.get('enabled'):
        return 'disabled in settings'
    if not resolved.get('pixel_id'):
        return 'no pixel id configured'
    if not is_valid_pixel_id(resolved['pixel_id']):
        return 'pixel id is not a valid TikTok pixel code'
    if not resolved.get('relay_url'):
        return 'no relay URL configured'
    if not is_valid_relay_url(resolved['relay_url']):
        return 'relay URL must be a path starting with / or an http(s) URL'
    return None
