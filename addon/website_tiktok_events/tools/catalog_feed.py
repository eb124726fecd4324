"""The TikTok catalog feed's rows, as the module writes them.

Plain values in, plain text out; what reads the products (prices from the
pricelist, stock, URLs) is on the website model (models/website_catalog.py).
TikTok's catalog manager fetches the CSV from a URL on a schedule
(docs: "Catalog product fields"); the columns are TikTok's own names.
"""
import csv
import hashlib
import hmac
import io

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
