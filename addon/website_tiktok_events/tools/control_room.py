"""What the control room decides from the sidecar's reports: thresholds,
retention, and the pure rules built on them (no Odoo import).

Every threshold is declared here once; the dashboard receives them with its
data and says them in words, so what a merchant reads is what the code does.
"""
import math

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


def missed_reports(age_seconds, interval_seconds):
    """How many reports a replica missed, seen `age_seconds` after its last one."""
    interval = interval_seconds or DEFAULT_REPORT_INTERVAL_SECONDS
    late = age_seconds - interval - REPORT_GRACE_SECONDS
    return max(0, math.ceil(late / interval))


def replica_status(age_seconds, interval_seconds):
    """connected, lagging (one report missed) or down (two missed)."""
    missed = missed_reports(age_seconds, interval_seconds)
    if missed >= DOWN_AFTER_MISSED:
        return 'down'
    if missed >= LAGGING_AFTER_MISSED:
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
