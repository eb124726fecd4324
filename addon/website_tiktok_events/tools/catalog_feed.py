"""The TikTok catalog feed's rows, as the module writes them.

Plain values in, plain text out (and the small files that say how far a
feed in progress is); what reads the products (prices from the
pricelist, stock, URLs) is on the website model (models/website_catalog.py).
TikTok's catalog manager fetches the CSV from a URL on a schedule
(docs: "Catalog product fields"); the columns are TikTok's own names.
"""
import contextlib
import csv
import hashlib
import hmac
import io
import json
import os
import re
from collections import namedtuple

# TikTok's required fields, then the optional ones the module fills.
FEED_COLUMNS = (
    'sku_id', 'title', 'description', 'availability', 'condition', 'price', 'link', 'image_link', 'brand',
    'item_group_id', 'sale_price',
)

# Odoo's product feed availability (website_sale, website_sale_stock) in TikTok's words.
AVAILABILITY = {
    'in_stock': 'in stock',
    'out_of_stock': 'out of stock',
    'preorder': 'preorder',
    'backorder': 'available for order',
}

# A currency code in the URL: three letters, as ISO 4217 writes them.
CURRENCY_CODE_LENGTH = 3


def catalog_secret(database_secret, website_id, rotation):
    """The secret of a website's feed URL: derived from the database's own
    secret (readable by administrators only), the website and its rotation
    value, so nothing readable by anyone else holds it and a new rotation
    value makes every earlier URL of the website a 404."""
    message = 'tiktok-catalog:%s:%s' % (website_id, rotation or '')
    return hmac.new((database_secret or '').encode(), message.encode(), hashlib.sha256).hexdigest()


def secret_matches(expected, given):
    """Constant-time comparison of the URL's secret with the website's."""
    return hmac.compare_digest(expected.encode(), (given or '').encode())


def is_currency_code(value):
    return isinstance(value, str) and len(value) == CURRENCY_CODE_LENGTH and value.isascii() and value.isalpha()


def feed_price(amount, currency_name, decimals):
    """A price as TikTok reads it: "12.00 EUR", in the currency's decimals."""
    return '%.*f %s' % (decimals, amount, currency_name)


def feed_availability(odoo_availability):
    return AVAILABILITY.get(odoo_availability, 'in stock')


def one_line(text):
    """A product text on one line: TikTok's title and description are plain text."""
    return ' '.join((text or '').split())


def csv_text(rows, header=False):
    """``rows`` (dicts keyed by FEED_COLUMNS) as CSV text, quoted where a
    value holds a comma, a quote or a line break (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FEED_COLUMNS, lineterminator='\r\n', extrasaction='raise')
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


# Seconds a cron run writes feeds at most: half of Odoo's cron time limit
# (other jobs of the run share it), and no more than this when it has none.
FEED_CRON_RUN_SECONDS = 60


def cron_run_seconds(limit_time_real_cron, limit_time_real):
    """How long a cron run may write: Odoo kills a cron over
    --limit-time-real-cron seconds (-1: --limit-time-real; 0: no limit)."""
    limit = limit_time_real if limit_time_real_cron == -1 else limit_time_real_cron
    return min(FEED_CRON_RUN_SECONDS, limit / 2) if limit and limit > 0 else FEED_CRON_RUN_SECONDS


# A feed file: <website id>-<currency>-<fingerprint>.csv, in progress with
# PART_SUFFIX, its progress (last product written, bytes) beside it.
FEED_FILE = re.compile(r'(\d+)-([A-Z]{3})-([0-9a-f]{32})\.csv')
PART_SUFFIX = '.part'
PROGRESS_SUFFIX = '.progress'

FeedProgress = namedtuple('FeedProgress', ['after_id', 'size'])
NO_PROGRESS = FeedProgress(after_id=0, size=0)


def feed_file_name(website_id, currency_name, fingerprint):
    return '%s-%s-%s.csv' % (website_id, currency_name, fingerprint)


def feed_file_fingerprint(name, website_id, currency_name, suffix=''):
    """The fingerprint of a complete feed file (or, with ``suffix``, of a
    part) of this website and currency, None for any other name."""
    if not name.endswith(suffix):
        return None
    match = FEED_FILE.fullmatch(name[:len(name) - len(suffix)])
    if not match or match.group(1, 2) != (str(website_id), currency_name):
        return None
    return match.group(3)


def feed_part_fingerprint(name, website_id, currency_name):
    return feed_file_fingerprint(name, website_id, currency_name, suffix=PART_SUFFIX)


def read_progress(path, part_size):
    """The saved progress of a part of ``part_size`` bytes; none (start
    again) when missing, unreadable or claiming more bytes than the part has."""
    try:
        with open(path, encoding='utf-8') as file:
            saved = json.load(file)
        progress = FeedProgress(after_id=int(saved['after_id']), size=int(saved['size']))
    except (OSError, ValueError, KeyError, TypeError):
        return NO_PROGRESS
    return progress if 0 < progress.size <= part_size else NO_PROGRESS


def write_progress(path, progress):
    """Save the progress atomically: a temporary file renamed over the old one."""
    temporary = path + '.tmp'
    with open(temporary, 'w', encoding='utf-8') as file:
        json.dump(progress._asdict(), file)
    os.replace(temporary, path)


def remove_progress(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
