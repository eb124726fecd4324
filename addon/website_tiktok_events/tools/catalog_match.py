"""The catalog match: how many of the content ids sent to TikTok are
``sku_id``s of the website's catalog feed (models/website_catalog.py).

TikTok recommends a match rate above 90 % over 7 days on ViewContent,
AddToCart and Purchase; this measures it at home, from the content ids the
sidecar reports it delivered (docs/CONTRACTS.md §7 `contents`). Pure: no
Odoo import. What decides whether one id is in the feed, and why not, reads
the products (models/website_catalog_match.py).
"""
import math

from .contract import EVENT_CONTENT_ID_PREFIX

# TikTok's window and goal for the match rate.
MATCH_WINDOW_DAYS = 7
MATCH_RATE_GOAL = 90
# Fewer events than this say too little for an alert (a fresh shop's first
# visits); the control room still shows the figure.
MATCH_ALERT_MIN_EVENTS = 20
# The unmatched ids the control room lists, most sent first.
UNMATCHED_SHOWN = 50

# Why a content id is not a sku_id of the feed, told apart by what the
# module can see of the product behind it.
REASONS = (
    'archived',            # the product (or its template) is archived
    'not_sold',            # "Can be sold" is off
    'unpublished',         # not published on the website
    'other_website',       # published on another website only
    'variant_impossible',  # a combination the shop excludes
    'zero_price',          # a zero price the shop refuses to sell at
    'reference_changed',   # the id was the product's internal reference
    'content_id_setting',  # the id follows the other Content ID setting
    'single_variant',      # a product group id of a product with one variant
    'unknown',             # no product has or had this id
)


def is_event_content_id(content_id):
    """An Odoo event's content id (its page's ViewContent, its registration):
    an event is not a product of the catalog."""
    number = content_id[len(EVENT_CONTENT_ID_PREFIX):]
    return content_id.startswith(EVENT_CONTENT_ID_PREFIX) and number.isascii() and number.isdigit()


def match_rate(matched, total):
    """A share in percent with one decimal, rounded down: 100 only when every event matched."""
    if not total:
        return None
    return math.floor(1000 * matched / total) / 10


def match_summary(window, verdicts, shown=UNMATCHED_SHOWN):
    """The website's match over the window.

    ``window``: {(content_type, content_id or None): {event: count}} (None:
    ids counted but not kept); ``verdicts``: {(content_type, content_id):
    None when it is a sku_id of the feed, else {'reason', ...the product
    behind it}}. The rate counts events, as TikTok's does: an id sent a
    thousand times weighs a thousand. Odoo events' ids are counted apart:
    an event is not a product the catalog could list."""
    matched = total = unrecorded = event_pages = 0
    unmatched = []
    for (content_type, content_id), by_event in window.items():
        count = sum(by_event.values())
        if content_id is None:
            unrecorded += count
            continue
        if is_event_content_id(content_id):
            event_pages += count
            continue
        total += count
        verdict = verdicts.get((content_type, content_id), {'reason': 'unknown'})
        if verdict is None:
            matched += count
            continue
        unmatched.append({'content_type': content_type, 'content_id': content_id, 'count': count,
                          'events': dict(sorted(by_event.items())), **verdict})
    unmatched.sort(key=lambda entry: (-entry['count'], entry['content_id']))
    return {
        'events': total,
        'matched': matched,
        'rate': match_rate(matched, total),
        'unrecorded': unrecorded,
        'event_pages': event_pages,
        'unmatched_ids': len(unmatched),
        'unmatched': unmatched[:shown],
    }


def match_rate_low(summary):
    """The summary is an incident: enough events, and a rate below the goal."""
    return summary['events'] >= MATCH_ALERT_MIN_EVENTS and summary['rate'] < MATCH_RATE_GOAL
