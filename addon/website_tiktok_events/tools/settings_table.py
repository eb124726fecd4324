"""Every TikTok setting, declared once.

A row says what a setting is. Everything else is derived from the rows: the
global parameter (``ir.config_parameter``), the per-website override field on
``website``, the two fields of the settings page, who may read it, and how a
website's value falls back to the global one (``settings_resolution.py``).
"""
from collections import namedtuple

from .contract import DEFAULT_GPC_POLICY, GPC_POLICIES, MATCH_LEVELS, PURCHASE_EVENT_NAMES, SUBMIT_FORM_EVENT_NAMES

PARAM_PREFIX = 'website_tiktok_events.'
DEFAULT_RELAY_URL = '/tiktok/relay'

# Per-website selection value meaning "use the global setting".
INHERIT = 'global'

PURCHASE_NAMES = PURCHASE_EVENT_NAMES
SUBMIT_FORM_NAMES = SUBMIT_FORM_EVENT_NAMES
# How much of a known person is shared with TikTok (docs/CONTRACTS.md §3):
# contact keys only, or also the name and the address (first_name, last_name,
# zip_code hashed; city, state, country plain).
MATCH_CONTACT, MATCH_NAME_ADDRESS = MATCH_LEVELS
# What the events' content_id is (tools/contents.py): the product.product id,
# or its internal reference (the SKU most catalogs use), the id when it has none.
CONTENT_ID_PRODUCT_ID = 'product_id'
CONTENT_ID_DEFAULT_CODE = 'default_code'
CONTENT_ID_SOURCES = (CONTENT_ID_PRODUCT_ID, CONTENT_ID_DEFAULT_CODE)
# What a visitor's Global Privacy Control signal does (docs/CONTRACTS.md §5).
GPC_IGNORE, GPC_LIMITED_DATA_USE, GPC_REFUSE = GPC_POLICIES


def consent_under_gpc(consent, gpc, policy):
    """A request's consent once the website's Global Privacy Control policy
    read its signal: "treat as refused" makes it a refusal of optional cookies."""
    return 'denied' if gpc and policy == GPC_REFUSE else consent


# kind: 'flag' (on/off; a website may also inherit), 'text' (a blank website
# value inherits), 'choice' (one of `choices`; a website may also inherit).
# choice_labels: what the settings page shows for each choice (default: the choice itself).
# secret: readable by administrators only, never rendered into a page (the
# sidecar gets it through website.tiktok_sidecar_settings()).
# dated: Odoo remembers when a value was set (a test event code left on for days
# is flagged in the settings).
Setting = namedtuple('Setting', 'key kind label help default choices secret dated choice_labels',
                     defaults=(False, (), False, False, ()))

SETTINGS = (
    Setting('enabled', 'flag', 'TikTok Pixel & Events API',
            'Put the TikTok pixel on the website pages and send every event from the server too.'),
    Setting('pixel_id', 'text', 'Pixel ID',
            'The pixel code shown in TikTok Events Manager (Data sources, your web pixel).'),
    Setting('access_token', 'text', 'Events API access token',
            'Generated in TikTok Events Manager (your pixel, Settings, Events API). '
            'Readable by administrators only and never put in a page.', secret=True),
    Setting('test_event_code', 'text', 'Test event code',
            'From TikTok Events Manager, Test events: while it is set, server events show up there. '
            'Remove it in production.', secret=True, dated=True),
    Setting('relay_url', 'text', 'Relay URL',
            'Where browsers send the server copy of each event: a path of the shop routed to the sidecar '
            '(default /tiktok/relay) or the sidecar\'s own https URL.', default=DEFAULT_RELAY_URL),
    Setting('debug', 'flag', 'Debug mode',
            'Log every event in the browser console and show the pixel helper panel on the pages.'),
    Setting('purchase_event_name', 'choice', 'Purchase sent as',
            'TikTok renamed CompletePayment to Purchase in 2025; both are converted. '
            'Browser and server always use the same name.',
            default='Purchase', choices=PURCHASE_NAMES),
    Setting('submit_form_event_name', 'choice', 'SubmitForm sent as',
            'TikTok renamed SubmitForm to Lead in 2025; both are converted. '
            'Browser and server always use the same name.',
            default='Lead', choices=SUBMIT_FORM_NAMES),
    Setting('purchase_without_payment', 'flag', 'Purchase without online payment',
            'Also send Purchase for website orders confirmed without an online payment '
            '(for example a wire transfer confirmed in the back office).'),
    # Secret: the shop staff's addresses are nobody else's business (and never
    # go into a page).
    Setting('test_emails', 'text', 'Test buyers',
            'E-mail addresses and domains of test orders, never sent to TikTok: for example '
            'qa@shop.example, @shop.example. Separate them with commas, spaces or new lines.',
            secret=True),
    Setting('match_keys', 'choice', 'Customer data shared',
            'What TikTok receives to recognise a known customer or a lead: the e-mail, phone and customer id '
            '(hashed), or also the first and last name and postal code (hashed) and the city, state and '
            'country (plain text). More keys match more conversions; sharing them is your decision.',
            default=MATCH_CONTACT, choices=MATCH_LEVELS,
            choice_labels=('E-mail, phone and customer id', 'Also name and address')),
    Setting('content_id_source', 'choice', 'Content ID',
            'What identifies a product in the events: its id in Odoo, or its internal reference (the SKU '
            'a product catalog in TikTok usually uses; products without one keep their id). '
            'Use what your TikTok catalog uses.',
            default=CONTENT_ID_PRODUCT_ID, choices=CONTENT_ID_SOURCES,
            choice_labels=('Product ID', 'Internal reference')),
    Setting('limited_data_use', 'flag', 'Limited data use',
            'Ask TikTok to process the server events with limited data use (for visitors of US states with '
            'privacy laws that require it).'),
    # The default, limited data use: the laws that make the signal binding read it as an
    # opt-out of sharing, which is what TikTok's limited data use is for (docs/CONTRACTS.md §5).
    Setting('gpc', 'choice', 'Global Privacy Control',
            'What a visitor whose browser sends Global Privacy Control (an opt-out of selling and sharing '
            'required by several US states) gets: nothing changes; TikTok processes their events with limited '
            'data use (the pixel is not loaded for them, the server copies are marked); or they are treated '
            'as if they refused optional cookies (nothing reaches TikTok).',
            default=DEFAULT_GPC_POLICY, choices=GPC_POLICIES,
            choice_labels=('Ignore', 'Limited data use', 'Treat as refused')),
)

SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}
SECRET_KEYS = tuple(setting.key for setting in SETTINGS if setting.secret)
DATED_SETTINGS = tuple(setting for setting in SETTINGS if setting.dated)


def choice_selection(setting):
    """The (value, label) pairs of a choice setting."""
    return list(zip(setting.choices, setting.choice_labels or setting.choices))


def global_param(setting):
    """The ``ir.config_parameter`` key of the global value."""
    return PARAM_PREFIX + setting.key


def website_field(setting):
    """The per-website override field on ``website``."""
    return 'tiktok_' + setting.key


def set_at_param(setting):
    """The ``ir.config_parameter`` key of when the global value was set (dated settings)."""
    return global_param(setting) + '_set_at'


def set_at_field(setting):
    """The ``website`` field of when the website's own value was set (dated settings)."""
    return website_field(setting) + '_set_at'


def settings_global_field(setting):
    """The settings page field of the global value."""
    return 'tiktok_' + setting.key


def settings_website_field(setting):
    """The settings page field of the selected website's override."""
    return 'website_tiktok_' + setting.key


def parse_global_value(setting, raw):
    """A stored ``ir.config_parameter`` text as the setting's value."""
    if setting.kind == 'flag':
        return raw in ('True', 'true', '1')
    if raw is False or raw is None:
        return setting.default
    return raw
