"""What the control room decides from the sidecar's reports: thresholds,
retention, and the pure rules built on them (no Odoo import).

Every threshold is declared here once; the dashboard receives them with its
data and says them in words, so what a merchant reads is what the code does.
"""
# --- Replica status -------------------------------------------------------
# A replica reports once per purchase poll (POLL_INTERVAL_SECONDS of the
# sidecar, 5 by default); a report that does not say its interval is taken to
# follow the default.
DEFAULT_REPORT_INTERVAL_SECONDS = 5
# Time a report may take on top of its interval (the RPC itself, a slow poll).
REPORT_GRACE_SECONDS = 10
# A replica is "lagging" after one missed report, "down" after two.
LAGGING_AFTER_MISSED = 1
DOWN_AFTER_MISSED = 2
# Replicas silent for longer than this are no longer listed (a restarted
# container that took a new name is not a problem to show for ever).
REPLICA_SHOWN_SECONDS = 24 * 3600

# --- Merchant warnings ----------------------------------------------------
# The settings page and the website form call the sidecar "silent" after this
# long without a report from any replica: long enough not to flag a restart.
SILENT_AFTER_SECONDS = 10 * 60
# A test event code sends every server event to Test Events only: a code left
# on longer than this is most likely forgotten.
TEST_CODE_WARN_AFTER_SECONDS = 24 * 3600
# An expiring sidecar key (Connect the sidecar) is flagged this long before it stops working.
KEY_EXPIRY_WARNING_DAYS = 14

# --- Bounded storage ------------------------------------------------------
# Daily aggregates (and match-key counts) kept this many days.
RETENTION_DAYS = 90
# Dead letters kept per replica (the newest), and none older than the retention.
DEAD_LETTERS_PER_REPLICA = 500
# A replica that has not reported for this long is forgotten with its dead letters.
REPLICA_FORGET_DAYS = 30
# Test event requests kept this many days.
TEST_EVENT_KEEP_DAYS = 30

# --- Requests to the sidecar ---------------------------------------------
# A test event no replica took, or that got no answer, fails after this long.
TEST_EVENT_TIMEOUT_SECONDS = 120
# Test events handed to one report's answer at most.
TEST_EVENTS_PER_ANSWER = 10
# Periods the dashboard offers, in days.
DASHBOARD_PERIODS = (7, 30)

REPLICA_STATES = ('connected', 'lagging', 'down')


def silent_seconds_before(missed, interval_seconds):
    """How long a replica reporting every `interval_seconds` may stay silent
    before it has missed `missed` reports: the one rule the status follows
    and the page states (in seconds, so that nobody has to do the sum)."""
    interval = interval_seconds or DEFAULT_REPORT_INTERVAL_SECONDS
    return interval * missed + REPORT_GRACE_SECONDS


def status_thresholds(interval_seconds):
    """The silences after which a replica reads lagging and down."""
    return {
        'interval_seconds': interval_seconds or DEFAULT_REPORT_INTERVAL_SECONDS,
        'lagging_after_seconds': silent_seconds_before(LAGGING_AFTER_MISSED, interval_seconds),
        'down_after_seconds': silent_seconds_before(DOWN_AFTER_MISSED, interval_seconds),
    }


def replica_status(age_seconds, interval_seconds):
    """connected, lagging (one report missed) or down (two missed): silent
    for longer than the thresholds of `status_thresholds`."""
    thresholds = status_thresholds(interval_seconds)
    if age_seconds > thresholds['down_after_seconds']:
        return 'down'
    if age_seconds > thresholds['lagging_after_seconds']:
        return 'lagging'
    return 'connected'


def overall_status(statuses):
    """The sidecar as a whole: its best replica, or 'never' without any."""
    for status in REPLICA_STATES:
        if status in statuses:
            return status
    return 'never'


def percent(part, whole):
    """A share in whole percent, or None when there is nothing to divide."""
    if not whole:
        return None
    return round(100.0 * part / whole)


def website_warning_codes(resolved, cookies_bar, test_code_age_seconds, report_age_seconds,
                          key_expires_in_seconds=None):
    """The problems of one website's TikTok setup, as codes the models put in words.

    ``resolved``: the website's resolved settings with secrets;
    ``test_code_age_seconds``: how long the test event code has been set (None
    when unknown or unset); ``report_age_seconds``: since the last report of
    any sidecar replica (None when none ever came); ``key_expires_in_seconds``:
    until the sidecar's API key stops working (None: it never does).
    """
    if not resolved.get('enabled') or not resolved.get('pixel_id'):
        return []
    codes = []
    if not resolved.get('access_token'):
        codes.append('no_token')
    if not cookies_bar:
        codes.append('no_cookie_bar')
    if resolved.get('test_event_code') and test_code_age_seconds is not None \
            and test_code_age_seconds > TEST_CODE_WARN_AFTER_SECONDS:
        codes.append('test_code_left_on')
    if key_expires_in_seconds is not None and key_expires_in_seconds < KEY_EXPIRY_WARNING_DAYS * 24 * 3600:
        codes.append('sidecar_key_expiring')
    if report_age_seconds is None:
        codes.append('sidecar_never')
    elif report_age_seconds > SILENT_AFTER_SECONDS:
        codes.append('sidecar_silent')
    return codes


# --- The bridges to other apps -------------------------------------------
# Each bridge module of this product and the app it brings to TikTok.
BRIDGES = {
    'website_tiktok_events_crm': 'crm',
    'website_tiktok_events_pos': 'point_of_sale',
}
# The bridge that queues the events of each source (tiktok.source.event).
BRIDGE_OF_SOURCE = {'crm': 'website_tiktok_events_crm', 'offline': 'website_tiktok_events_pos'}
INSTALLED_STATES = ('installed', 'to install', 'to upgrade')


def missing_bridges(states):
    """The bridges whose app is installed while they are not, from the
    modules' states by name (a bridge not on the addons path has none)."""
    return [bridge for bridge, app in BRIDGES.items()
            if states.get(app) in INSTALLED_STATES and states.get(bridge) not in INSTALLED_STATES]


# --- Alerts -----------------------------------------------------------------
# What the administrators get an Odoo activity for, one per incident while it
# lasts (models/tiktok_alert.py). A paused lane whose token TikTok refused is
# its own kind: the merchant's fix (a new token) is not the others'.
INCIDENT_KINDS = ('token_refused', 'lane_paused', 'replica_down', 'match_rate_low')
# Alerts open at once, at most: whoever holds the sidecar's key could report
# any number of lanes and replicas, and each alert is an activity per
# administrator. Past it, the newest incidents wait for room (the dashboard
# still shows them all).
MAX_OPEN_ALERTS = 20


def incident_key(kind, subject):
    """One incident's identity: its kind and what it is about (a lane, a
    replica, a website), the same on every report while it lasts."""
    if kind not in INCIDENT_KINDS:
        raise ValueError('unknown incident kind %r' % kind)
    return '%s:%s' % (kind, subject)


def lane_incidents(replicas):
    """The incidents of the paused lanes of `replicas` (name, status, lanes):
    a lane paused on several replicas is one incident; replicas that are down
    do not speak for their lanes any more."""
    incidents = {}
    for _name, status, lanes in replicas:
        if status == 'down':
            continue
        for lane in lanes or []:
            if lane.get('state') != 'paused':
                continue
            kind = 'token_refused' if lane.get('reason') == 'token_refused' else 'lane_paused'
            subject = '%s:%s' % (lane['pixel_id'], 'test' if lane.get('test') else 'live')
            incidents.setdefault(incident_key(kind, subject), {'kind': kind, 'lane': lane})
    return incidents


def replica_incidents(replicas):
    """One incident per replica that is down."""
    return {incident_key('replica_down', name): {'kind': 'replica_down', 'replica': name}
            for name, status, _lanes in replicas if status == 'down'}


def reconcile_incidents(current_keys, open_keys, max_open=MAX_OPEN_ALERTS):
    """What to open and what to close: the incidents of now against the
    alerts still open. An incident still there keeps its alert (never one per
    report); one that cleared closes it; no more than `max_open` stay open."""
    current, opened = set(current_keys), set(open_keys)
    to_close = sorted(opened - current)
    room = max(0, max_open - (len(opened) - len(to_close)))
    return sorted(current - opened)[:room], to_close
