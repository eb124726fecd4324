"""The ``contents[]`` entries of the Events API, as the module builds them.

One shape everywhere (sidecar/src/contract/content.ts): the page config's
purchase, the claimed Purchases and the relay all carry it.
tests/vectors/contract.json holds the examples both sides must agree on.
"""


def content_name(product):
    """A product's name as every event names it: Odoo's shop name (the variant's
    attribute values included), without the internal reference. The product
    page (``_get_combination_info``), the cart's answer and the Purchase all
    use it, so TikTok sees one name per product."""
    return product.with_context(display_default_code=False).display_name


def order_line_content(product_id, product_name, line_name, price_unit, quantity):
    """One order line as a content entry.

    ``content_id`` is the ``product.product`` id as a decimal string, the id
    the browser reads from the shop's pages; the product's name, or the line's
    when the product has none.
    """
    return {
        'content_id': str(product_id),
        'content_type': 'product',
        'content_name': product_name or line_name,
        'price': price_unit,
        'quantity': quantity,
    }
