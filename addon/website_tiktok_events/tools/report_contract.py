"""The sidecar's report (docs/CONTRACTS.md §7), declared once: its keys, its
limits, and the validation that turns whatever arrives into what may be stored.

Pure: no Odoo import. A key outside the contract is dropped (a newer sidecar
may send more; nothing unknown is ever stored); a value of the wrong type or
beyond a limit refuses the whole report with a message naming the field and
what is expected, never quoting the value (the sidecar folds a refused
report's counters into its next one, so nothing is counted twice or lost).
"""
import math
import re

from .contact_data import redact_contact_data
from .contract import (
    CANONICAL_EVENTS, CATALOG_MATCH_EVENTS, CRM_LEAD_STAGES, NON_WEB_SOURCES, PURCHASE_EVENT_NAMES, REPORT_COUNTER_KEYS,
    REPORT_MATCH_KEYS,
)
from .settings_resolution import PIXEL_ID

# What TikTok receives under another name than the canonical key (per website
# for the last two): reports may say either; Odoo keeps the canonical key.
CANONICAL_OF_TIKTOK_NAME = {'Pageview': 'PageView', 'CompletePayment': 'Purchase', 'Lead': 'SubmitForm'}
TIKTOK_ONLY_NAMES = tuple(CANONICAL_OF_TIKTOK_NAME)

COUNTER_KEYS = REPORT_COUNTER_KEYS
OUTBOX_KEYS = ('pending', 'in_flight', 'delivered', 'dead')
LATENCY_KEYS = ('p50', 'p95', 'max')
MATCH_KEYS = ('delivered',) + REPORT_MATCH_KEYS
LANE_STATES = ('running', 'paused')
LANE_REASONS = ('token_refused', 'wrong_base_url', 'not_tiktok_answer', 'request_refused', 'no_token')

# The bounds of the report, each as wide as where it is stored (an Odoo
# Integer is a PostgreSQL int4; a Float, float8, exact up to 2**53). The
# sidecar's schema (sidecar/src/contract/report.ts) uses the same numbers:
# tests/vectors/contract.json (`report_limits`) holds both sides to them.
INT4_MAX = 2 ** 31 - 1
EXACT_INT_MAX = 2 ** 53 - 1
MAX_COUNTERS = 2000
MAX_LANES = 200
MAX_DEAD_LETTERS = 100
MAX_TEST_EVENTS = 50
# The content ids of one report (per website, event, type and id): as many as its counters.
MAX_CONTENTS = MAX_COUNTERS
# A content id kept for the catalog match: TikTok's sku_id is at most this long.
MAX_CONTENT_ID_CHARS = 128
CONTENT_TYPES = ('product', 'product_group')
# One report's count of one thing; the daily rows add them up to INT4_MAX at most.
MAX_COUNT = 10 ** 9
MAX_LATENCY_MS = 24 * 3600 * 1000
MAX_POLL_INTERVAL_SECONDS = 24 * 3600
MAX_ID = INT4_MAX  # Odoo record ids, TikTok's codes, report numbers
MAX_OUTBOX_COUNT = INT4_MAX  # the replica's outbox counts (Integer columns)
MAX_OUTBOX_ID = EXACT_INT_MAX  # an outbox row id (tiktok.dead.letter.outbox_id is a Float)
# The report's request body: far above an honest report (its lists are
# bounded above), refused before it is read (controllers/sidecar.py).
MAX_REPORT_BYTES = 1024 * 1024
# TikTok's messages are kept this long (the sidecar keeps 300 characters too).
MAX_MESSAGE_CHARS = 300
# Times before this are not times this product could have produced.
EARLIEST_TIME = 1577836800  # 2020-01-01
# A replica's clock may run ahead of Odoo's by this much.
CLOCK_SKEW_SECONDS = 24 * 3600

_REPLICA = re.compile(r'^[A-Za-z0-9._:@/+-]{1,128}$')
_VERSION = re.compile(r'^[A-Za-z0-9._+-]{1,32}$')
_MODE = re.compile(r'^[a-z_-]{1,16}$')
_EVENT_ID = re.compile(r'^[A-Za-z0-9._:-]{1,128}$')
_RUN_ID = re.compile(r'^[A-Za-z0-9_-]{8,64}$')
# The outbox lane of a source other than the web: `<source>:<website id>:<event
# set id>` (docs/CONTRACTS.md §8; sidecar/src/tiktok/lane.ts `sourceLaneId`).
SOURCE_LANE_ID = re.compile(r'^(%s):([1-9][0-9]{0,9}):([A-Za-z0-9_-]{1,64})$' % '|'.join(NON_WEB_SOURCES))
SOURCE_LANE_WHAT = 'a lane of another source (crm or offline:<website id>:<event set id>)'
# What a dead letter of another source may be named: a CRM event set's lead stages, or an event name.
SOURCE_EVENT_NAMES = CANONICAL_EVENTS + TIKTOK_ONLY_NAMES + CRM_LEAD_STAGES


def read_source_lane(lane_id):
    """(source, website id, event set id) of a lane of another source, or None for a pixel."""
    match = SOURCE_LANE_ID.fullmatch(lane_id or '')
    return (match[1], int(match[2]), match[3]) if match else None


# The longest contact datum the rule finds (an e-mail: 64 + 1 + 253 + a top-level
# domain) or more: a message is cut to its shown length plus this before it is read.
_LONGEST_CONTACT = 400


class ReportError(ValueError):
    """The report is not the contract's; the message names the field."""


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _count(value, where, highest=MAX_COUNT):
    if not _is_int(value) or not 0 <= value <= highest:
        raise ReportError('%s must be a whole number from 0 to %d' % (where, highest))
    return value


def _optional_int(value, where):
    if value is None:
        return None
    if not _is_int(value) or abs(value) > MAX_ID:
        raise ReportError('%s must be a whole number or null' % where)
    return value


def _identifier(value, where, pattern, what):
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ReportError('%s must be %s' % (where, what))
    return value


def _time(value, where, now, optional=False):
    """Unix seconds between 2020 and a day after Odoo's clock."""
    if value is None and optional:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if not _is_int(value) or not EARLIEST_TIME <= value <= now + CLOCK_SKEW_SECONDS:
        raise ReportError('%s must be a time in unix seconds, not in the future' % where)
    return value


def _message(value, where):
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReportError('%s must be text or null' % where)
    # Redact before cutting: a cut could split an address into what no longer
    # matches. Only the start can be kept, so only the start (and room for
    # one address running past it) is searched, however long the text.
    return redact_contact_data(value[:MAX_MESSAGE_CHARS + _LONGEST_CONTACT])[:MAX_MESSAGE_CHARS]


def _object(value, where):
    if not isinstance(value, dict):
        raise ReportError('%s must be an object' % where)
    return value


def _list(value, where, longest):
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportError('%s must be a list' % where)
    if len(value) > longest:
        raise ReportError('%s has %d entries, at most %d are accepted' % (where, len(value), longest))
    return value


def _event(value, where, names):
    if not isinstance(value, str) or value not in names:
        raise ReportError('%s must be one of the event names of docs/CONTRACTS.md §1' % where)
    return value


def canonical_event(name):
    return CANONICAL_OF_TIKTOK_NAME.get(name, name)


def _counts(value, where, keys, highest=MAX_COUNT):
    """An object of counts; a count left out is 0."""
    obj = _object(value, where)
    return {key: _count(obj.get(key, 0), '%s.%s' % (where, key), highest) for key in keys}


def _counter(entry, where):
    entry = _object(entry, where)
    website_id = entry.get('website_id')
    if not _is_int(website_id) or not 0 <= website_id <= MAX_ID:
        raise ReportError('%s.website_id must be a website id, or 0' % where)
    return {
        'website_id': website_id,
        'event': canonical_event(_event(entry.get('event'), '%s.event' % where, CANONICAL_EVENTS + TIKTOK_ONLY_NAMES)),
        **{key: _count(entry.get(key, 0), '%s.%s' % (where, key)) for key in COUNTER_KEYS},
    }


def _lane(entry, where, now, lane_id=(PIXEL_ID, 'a TikTok pixel code')):
    entry = _object(entry, where)
    state = entry.get('state')
    if state not in LANE_STATES:
        raise ReportError('%s.state must be one of %s' % (where, ', '.join(LANE_STATES)))
    test = entry.get('test', False)
    if not isinstance(test, bool):
        raise ReportError('%s.test must be true or false' % where)
    lane = {
        'pixel_id': _identifier(entry.get('pixel_id'), '%s.pixel_id' % where, *lane_id),
        'test': test,
        'state': state,
    }
    if state == 'paused':
        reason = entry.get('reason')
        if reason not in LANE_REASONS:
            raise ReportError('%s.reason must be one of %s' % (where, ', '.join(LANE_REASONS)))
        lane.update({
            'reason': reason,
            'code': _optional_int(entry.get('code'), '%s.code' % where),
            'message': _message(entry.get('message'), '%s.message' % where),
            'since': _time(entry.get('since'), '%s.since' % where, now, optional=True),
        })
    return lane


def _dead_letter(entry, where, now, lane_id=(PIXEL_ID, 'a TikTok pixel code'),
                 names=CANONICAL_EVENTS + TIKTOK_ONLY_NAMES):
    entry = _object(entry, where)
    outbox_id = entry.get('id')
    if not _is_int(outbox_id) or not 0 < outbox_id <= MAX_OUTBOX_ID:
        raise ReportError('%s.id must be the positive id of the dead letter in the outbox' % where)
    return {
        'id': outbox_id,
        'pixel_id': _identifier(entry.get('pixel_id'), '%s.pixel_id' % where, *lane_id),
        'event': _event(entry.get('event'), '%s.event' % where, names),
        'event_id': _identifier(entry.get('event_id'), '%s.event_id' % where, _EVENT_ID,
                                'an event id (letters, digits, . _ : -, at most 128)'),
        'event_time': _time(entry.get('event_time'), '%s.event_time' % where, now, optional=True),
        'dead_at': _time(entry.get('dead_at'), '%s.dead_at' % where, now),
        'code': _optional_int(entry.get('code'), '%s.code' % where),
        'message': _message(entry.get('message'), '%s.message' % where),
    }


# Control characters, and halves of a surrogate pair alone (JSON may carry
# them; PostgreSQL stores neither).
_UNSTORABLE_CHARACTER = re.compile('[\x00-\x1f\x7f-\x9f\ud800-\udfff]')
# The names a report may give the events of the catalog match: Purchase under either of its names.
CONTENT_EVENT_NAMES = CATALOG_MATCH_EVENTS + tuple(name for name in PURCHASE_EVENT_NAMES
                                                   if name not in CATALOG_MATCH_EVENTS)


def storable_content_id(value):
    """A content id as it may be kept: a browser wrote it, so it is not kept
    when it could not be a catalog's sku_id (empty, too long, control
    characters) nor when it holds what looks like contact data (a forged
    event's e-mail address); the report's count of it goes to `unrecorded`."""
    return (isinstance(value, str) and 0 < len(value) <= MAX_CONTENT_ID_CHARS
            and not _UNSTORABLE_CHARACTER.search(value) and redact_contact_data(value) == value)


def _content(entry, where):
    """One content id's count, or None (with its count) when the id may not be kept."""
    entry = _object(entry, where)
    website_id = entry.get('website_id')
    if not _is_int(website_id) or not 0 <= website_id <= MAX_ID:
        raise ReportError('%s.website_id must be a website id, or 0' % where)
    event = canonical_event(_event(entry.get('event'), '%s.event' % where, CONTENT_EVENT_NAMES))
    content_type = entry.get('content_type', 'product')
    if content_type not in CONTENT_TYPES:
        raise ReportError('%s.content_type must be one of %s' % (where, ', '.join(CONTENT_TYPES)))
    content_id = entry.get('content_id')
    if not isinstance(content_id, str):
        raise ReportError('%s.content_id must be text' % where)
    return {
        'website_id': website_id,
        'event': event,
        'content_type': content_type,
        'content_id': content_id if storable_content_id(content_id) else None,
        'count': _count(entry.get('count', 0), '%s.count' % where),
    }


def _test_event_answer(entry, where):
    entry = _object(entry, where)
    request_id = entry.get('request_id')
    if not _is_int(request_id) or not 0 < request_id <= MAX_ID:
        raise ReportError('%s.request_id must be the id of a test event request' % where)
    return {
        'request_id': request_id,
        'code': _optional_int(entry.get('code'), '%s.code' % where),
        'message': _message(entry.get('message'), '%s.message' % where),
    }


def _unique(entries, key, where):
    seen = set()
    for index, entry in enumerate(entries):
        if entry[key] in seen:
            raise ReportError('%s[%d].%s repeats an earlier entry' % (where, index, key))
        seen.add(entry[key])
    return entries


def _report_number(value):
    if not _is_int(value) or not 1 <= value <= MAX_ID:
        raise ReportError('seq must be the number of the report, a whole number from 1 to %d' % MAX_ID)
    return value


def _run(value, started_at):
    """The replica's run: its `run_id`, or for a sidecar older than run ids, its start time."""
    if value is None:
        return 'started-%d' % started_at
    return _identifier(value, 'run_id', _RUN_ID, 'the id of the run (8 to 64 letters, digits, _ or -)')


def clean_report(report, now):
    """The report as it may be stored, or ReportError.

    ``now`` is Odoo's clock in unix seconds. The result holds exactly the keys
    of the contract, each checked: ids and names by shape, numbers by range,
    TikTok's messages with contact data redacted and cut to 300 characters.
    """
    report = _object(report, 'report')
    counters = _list(report.get('counters'), 'counters', MAX_COUNTERS)
    lanes = _list(report.get('lanes'), 'lanes', MAX_LANES)
    dead_letters = _list(report.get('dead_letters'), 'dead_letters', MAX_DEAD_LETTERS)
    # Lanes and dead letters of the other sources (CRM, offline), under keys of their own:
    # an Odoo that does not know them drops them instead of refusing the report.
    source_lanes = _list(report.get('source_lanes'), 'source_lanes', MAX_LANES)
    source_dead_letters = _list(report.get('source_dead_letters'), 'source_dead_letters', MAX_DEAD_LETTERS)
    source_lane = (SOURCE_LANE_ID, SOURCE_LANE_WHAT)
    test_events = _list(report.get('test_events'), 'test_events', MAX_TEST_EVENTS)
    contents = _list(report.get('contents'), 'contents', MAX_CONTENTS)
    poll_interval = report.get('poll_interval_seconds')
    if poll_interval is not None:
        poll_interval = _count(poll_interval, 'poll_interval_seconds', MAX_POLL_INTERVAL_SECONDS) or None
    started_at = _time(report.get('started_at'), 'started_at', now)
    return {
        'replica': _identifier(report.get('replica'), 'replica', _REPLICA,
                               'the replica name (letters, digits, . _ : @ / + -, at most 128)'),
        'version': _identifier(report.get('version'), 'version', _VERSION, 'a version such as 0.1.0'),
        'mode': _identifier(report.get('mode'), 'mode', _MODE, 'a mode such as odoo'),
        'started_at': started_at,
        'run_id': _run(report.get('run_id'), started_at),
        'seq': _report_number(report.get('seq')),
        'sent_at': _time(report.get('sent_at'), 'sent_at', now),
        'poll_interval_seconds': poll_interval,
        'outbox': _counts(report.get('outbox', {}), 'outbox', OUTBOX_KEYS, highest=MAX_OUTBOX_COUNT),
        'latency_ms': _counts(report.get('latency_ms', {}), 'latency_ms', LATENCY_KEYS, highest=MAX_LATENCY_MS),
        'counters': [_counter(entry, 'counters[%d]' % i) for i, entry in enumerate(counters)],
        # One list of lanes and one of dead letters: a lane's `pixel_id` says whose it is.
        'lanes': [_lane(entry, 'lanes[%d]' % i, now) for i, entry in enumerate(lanes)]
        + [_lane(entry, 'source_lanes[%d]' % i, now, source_lane) for i, entry in enumerate(source_lanes)],
        'match_keys': _counts(report.get('match_keys', {}), 'match_keys', MATCH_KEYS),
        'contents': [_content(entry, 'contents[%d]' % i) for i, entry in enumerate(contents)],
        'contents_unrecorded': _count(report.get('contents_unrecorded', 0), 'contents_unrecorded'),
        'dead_letters': _unique(
            [_dead_letter(entry, 'dead_letters[%d]' % i, now) for i, entry in enumerate(dead_letters)]
            + [_dead_letter(entry, 'source_dead_letters[%d]' % i, now, source_lane, SOURCE_EVENT_NAMES)
               for i, entry in enumerate(source_dead_letters)], 'id', 'dead_letters'),
        'test_events': _unique([_test_event_answer(entry, 'test_events[%d]' % i)
                                for i, entry in enumerate(test_events)], 'request_id', 'test_events'),
    }


def saturating_sum(a, b):
    """a + b, at most what a stored count holds: counts past it stay at the
    bound rather than make every later report fail."""
    return min(a + b, INT4_MAX)


def summed_counters(counters):
    """Counter deltas summed per (website_id, event): a report may list a key twice."""
    sums = {}
    for entry in counters:
        key = (entry['website_id'], entry['event'])
        total = sums.setdefault(key, dict.fromkeys(COUNTER_KEYS, 0))
        for name in COUNTER_KEYS:
            total[name] = saturating_sum(total[name], entry[name])
    return sums
