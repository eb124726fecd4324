"""The ``contents[]`` entries of the Events API, as the module builds them.

One shape everywhere (sidecar/src/contract/content.ts): the page config's
purchase and checkout order, the cart's answer, the claimed Purchases and the
relay all carry it. tests/vectors/contract.json holds the examples both sides
must agree on.
"""
from .page_config import without_empty


def content_id(product_id, default_code=None, source='product_id'):
    """The ``content_id`` of a product for a website's ``content_id_source``
    (tools/settings_table.py): the ``product.product`` id as a decimal string,
    or its trimmed internal reference when the website chose it and there is
    one. Every content entry the module builds comes from here."""
    reference = default_code.strip() if isinstance(default_code, str) else ''
    return reference if source == 'default_code' and reference else str(product_id)


def content_name(product):
    """A product's name as every event names it: Odoo's shop name (the variant's
    attribute values included), without the internal reference. The product
    page (``_get_combination_info``), the cart's answer and the Purchase all
    use it, so TikTok sees one name per product."""
    return product.with_context(display_default_code=False).display_name


def content_price(amount, currency=None):
    """A unit price as TikTok gets it: in its currency's own decimals.

    A line's unit price is an unrounded float in Odoo 19 (a pricelist in
    another currency makes 89.83800000000001 of it); every price of a content
    entry the module builds goes through here, so none carries float noise or
    more decimals than its currency has.
    """
    return currency.round(amount) if currency else amount


def order_line_content(product_id, product_name, line_name, price_unit, quantity, default_code=None,
                       source='product_id', currency=None):
    """One order line as a content entry.

    ``content_id`` as ``content_id()`` makes it; the product's name, or the
    line's when the product has none; the price in ``currency``'s decimals.
    """
    return {
        'content_id': content_id(product_id, default_code, source),
        'content_type': 'product',
        'content_name': product_name or line_name,
        'price': content_price(price_unit, currency),
        'quantity': quantity,
    }


def cart_contents(order, quantity_per_line):
    """The content entries of a website order's lines found in
    ``quantity_per_line`` (a ``sale.order.line`` id → a quantity), in the
    order's line order: what an add to cart added, or the whole cart.

    Names as Odoo's own tracking shows them (without the internal reference),
    the unit price the shopper pays before taxes (Odoo's tracking price) in the
    order's currency, and the website category the product page's ViewContent
    reports.
    """
    website = order.website_id
    lines = order.order_line.filtered(
        lambda line: line.product_id and quantity_per_line.get(line.id, 0) > 0
    )
    return [
        without_empty({
            'content_id': website._tiktok_content_id(line.product_id),
            'content_type': 'product',
            'content_name': content_name(line.product_id),
            'content_category': line.product_id.product_tmpl_id._tiktok_public_category_name(website),
            'price': content_price(line.price_reduce_taxexcl, order.currency_id),
            'quantity': quantity_per_line[line.id],
        })
        for line in lines
    ]


def cart_lines(order):
    """Every product line of a cart with its quantity (combo items included,
    delivery excluded), as a Purchase counts them."""
    return {line.id: line.product_uom_qty for line in order.order_line if not line.is_delivery}
