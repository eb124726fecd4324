"""What server-side tracking saved, per event name, from the daily counts.

Pure: no Odoo import. TikTok names three connection methods; the sidecar
knows two of them for the events it stored, from what each page said of the
pixel (docs/CONTRACTS.md §4 `pixel`, §7 `pixel_loaded`/`pixel_blocked`):
browser and server (the pixel loaded: TikTok got both copies) and server only
(the pixel was blocked: only the server's copy reached TikTok; or withheld: not
loaded on purpose for a visitor's Global Privacy Control). "Browser
only" cannot be counted honestly by the server: an event whose server copy
never arrived is an event the sidecar never saw. The Purchase pairs its
copies otherwise (the confirmation page: the Purchases card).
"""
from .contract import REPORT_MATCH_KEYS

# Our own weights of the match keys (not TikTok's): the person's own keys
# (hashed e-mail, phone) match best, then the ids that name a person or a click,
# then what only narrows it down.
MATCH_KEY_WEIGHTS = {'email': 3, 'phone': 3, 'external_id': 2, 'ttclid': 2, 'ttp': 1, 'ip': 1, 'user_agent': 1}
assert set(MATCH_KEY_WEIGHTS) == set(REPORT_MATCH_KEYS), 'every match key of the report has a weight'


def match_estimate(counts):
    """Our estimate of an event name's match quality, 0 to 10: the weighted
    share of its delivered events carrying each key. None when none was delivered."""
    delivered = counts['delivered']
    if not delivered:
        return None
    covered = sum(weight * min(counts['with_' + key], delivered) for key, weight in MATCH_KEY_WEIGHTS.items())
    return round(10 * covered / (delivered * sum(MATCH_KEY_WEIGHTS.values())), 1)


def connection_methods(counts):
    """How TikTok got an event name's stored events, as their pages said."""
    loaded, blocked, withheld = counts['pixel_loaded'], counts['pixel_blocked'], counts['pixel_withheld']
    return {
        'browser_and_server': loaded,
        'server_only_blocked': blocked,
        'server_only_withheld': withheld,
        # the head code's PageView (sent before events.js answers), Purchases built by the server, older pages
        'not_said': max(counts['accepted'] - loaded - blocked - withheld, 0),
    }


def server_saved(events):
    """Per event name with something stored or delivered over the period
    (`events`: the dashboard's event entries), its connection methods and
    match estimate; and the period's headline: events only the server
    delivered because the pixel was blocked."""
    rows = [{'event': entry['event'], **connection_methods(entry['period']),
             'match_estimate': match_estimate(entry['period'])}
            for entry in events if entry['period']['accepted'] or entry['period']['delivered']]
    return {
        'rows': rows,
        'server_only_blocked': sum(row['server_only_blocked'] for row in rows),
        'browser_and_server': sum(row['browser_and_server'] for row in rows),
    }
