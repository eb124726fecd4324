"""Resolution of the per-website TikTok settings over the global defaults.

Pure functions: the Odoo models only gather the raw values and call these
(and say in the user's language what they refuse: models/website.py).
"""
import ipaddress
import re
from urllib.parse import urlsplit

from .contract import PIXEL_ID_PATTERN
from .settings_table import SETTINGS

# A TikTok pixel code: 16 to 32 upper-case ASCII letters and digits. TikTok's
# codes are 20 characters today; the range leaves room for a format change, and
# the alphabet alone keeps a code from breaking out of a JavaScript string or
# carrying markup. What a person types is trimmed and upper-cased first
# (normalize_pixel_id). The sidecar checks the same rule
# (sidecar/src/contract/constants.ts); tests/vectors/contract.json holds both
# to it.
PIXEL_ID = re.compile(PIXEL_ID_PATTERN)
_ABSOLUTE_URL = re.compile(r'^https?://[^\s/?#]+(/[^\s]*)?$', re.IGNORECASE)
_RELATIVE_PATH = re.compile(r'^/(?!/)[^\s]*$')
# Plain http only where nobody else listens: a developer's own machine.
_LOOPBACK_NAMES = ('localhost',)
# Test buyers (the `test_emails` setting): addresses and domains, any mix of
# commas, semicolons, spaces and new lines between them. A domain needs a dot;
# its labels may be non-ASCII (an internationalized domain as typed).
_TEST_EMAILS_SEPARATORS = re.compile(r'[\s,;]+')
_DOMAIN = r'[^\s@.,;]+(?:\.[^\s@.,;]+)+'
_TEST_ADDRESS = re.compile(r'[^\s@,;]+@' + _DOMAIN)
_TEST_DOMAIN = re.compile(r'@?' + _DOMAIN)


def normalize_pixel_id(value):
    return (value or '').strip().upper()


def is_valid_pixel_id(value):
    # fullmatch: `$` alone would let a trailing newline through.
    return bool(PIXEL_ID.fullmatch(value or ''))


def _is_loopback(host):
    if host in _LOOPBACK_NAMES or host.endswith('.localhost'):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_valid_relay_url(value):
    """A same-site path (``/tiktok/relay``), or the https URL of a sidecar on
    another host (http only on the loopback, for development). Never a URL
    with credentials in it: every visitor's browser would carry them."""
    if not value:
        return False
    if _RELATIVE_PATH.match(value):
        return True
    if not _ABSOLUTE_URL.match(value):
        return False
    parts = urlsplit(value)
    if '@' in parts.netloc or not parts.hostname:
        return False
    return parts.scheme.lower() == 'https' or _is_loopback(parts.hostname.lower())


def test_email_entries(value):
    """The entries of a test buyers text, lower-cased, in order, without duplicates."""
    entries = (entry.lower() for entry in _TEST_EMAILS_SEPARATORS.split(value or '') if entry)
    return list(dict.fromkeys(entries))


def invalid_test_email_entries(value):
    """Entries that are neither an e-mail address nor a domain."""
    return [entry for entry in test_email_entries(value)
            if not (_TEST_ADDRESS.fullmatch(entry) or _TEST_DOMAIN.fullmatch(entry))]


def is_test_email(email, test_emails):
    """Is this buyer's e-mail one of the test addresses, or at one of the test domains?"""
    email = (email or '').strip().lower()
    if '@' not in email:
        return False
    domain = email.rsplit('@', 1)[1]
    for entry in test_email_entries(test_emails):
        if '@' in entry.lstrip('@'):
            if entry == email:
                return True
        elif entry.lstrip('@') == domain:
            return True
    return False


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


def _pick_choice(website_value, global_value, allowed, default):
    if website_value in allowed:
        return website_value
    if global_value in allowed:
        return global_value
    return default


def _pick(setting, website_value, global_value):
    if setting.kind == 'flag':
        return _pick_flag(website_value, global_value)
    if setting.kind == 'choice':
        return _pick_choice(website_value, global_value, setting.choices, setting.default)
    return _pick_text(website_value, global_value)


def resolve_settings(global_values, website_values):
    """Effective settings of one website.

    Both arguments are keyed by setting (tools/settings_table.py):
    ``global_values`` holds the global defaults, ``website_values`` the raw
    per-website overrides (blank text or ``'global'`` means inherit). The two
    event-name choices come back together as ``event_names``, the shape every
    other part of the product uses.
    """
    resolved = {
        setting.key: _pick(setting, website_values.get(setting.key), global_values.get(setting.key))
        for setting in SETTINGS
    }
    resolved['pixel_id'] = normalize_pixel_id(resolved['pixel_id'])
    resolved['event_names'] = {
        'Purchase': resolved.pop('purchase_event_name'),
        'SubmitForm': resolved.pop('submit_form_event_name'),
    }
    return resolved


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
        return 'relay URL must be a path starting with / or an https URL'
    return None
