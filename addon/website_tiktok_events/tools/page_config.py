"""Serialization of the page config blob rendered in <head> (docs/CONTRACTS.md §2)."""
import json
import re
import uuid

from markupsafe import Markup, escape

# Inside <script> the HTML parser ends the element at the first "</script";
# "<!--" switches it to an escaped state. Escaping these characters as JSON
# \\u sequences keeps the same JSON value and makes breakout impossible.
_SCRIPT_SAFE = {
    '<': '\\u003c',
    '>': '\\u003e',
    '&': '\\u0026',
    '\u2028': '\\u2028',
    '\u2029': '\\u2029',
}


def without_empty(mapping):
    """Drop keys whose value is None, False, '' or an empty list/dict (never 0)."""
    return {
        key: value for key, value in mapping.items()
        if value is not None and value is not False and not (isinstance(value, (str, list, dict)) and not value)
    }


def new_page_event_id():
    """PageView event id of one render (a uuid4, prefixed like the contract's example)."""
    return 'pv-%s' % uuid.uuid4()


def script_safe_json(data):
    """JSON text safe to place verbatim between <script> tags, as Markup."""
    text = json.dumps(data, ensure_ascii=False, separators=(',', ':'), sort_keys=True)
    for char, replacement in _SCRIPT_SAFE.items():
        text = text.replace(char, replacement)
    return Markup(text)


def disabled_comment(reason):
    """HTML comment telling why no pixel is on the page; `--` cannot end it early."""
    safe_reason = str(escape(reason)).replace('--', '- -')
    return Markup('<!-- TikTok pixel disabled: %s -->' % safe_reason)


_PAGE_EVENT_ID_IN_BLOB = re.compile(r'"page_event_id":"pv-[0-9a-f-]{36}"')


def refresh_page_event_id(page_html):
    """Give a page served from Odoo's HTML cache a PageView id of its own.

    Public website pages are cached for up to an hour; without this every
    visitor of a cached page would share one id and TikTok would merge their
    PageViews into one.
    """
    return _PAGE_EVENT_ID_IN_BLOB.sub(
        lambda _match: '"page_event_id":"%s"' % new_page_event_id(), page_html, count=1)
