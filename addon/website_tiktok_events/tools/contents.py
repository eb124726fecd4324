"""The ``contents[]`` entries of the Events API, as the module builds them.

One shape everywhere (sidecar/src/contract/content.ts): the page config's
purchase, the claimed Purchases and the relay all carry it.
tests/vectors/contract.json holds the examples both sides must agree on.
"""


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


def order_line_content(product_id, product_name, line_name, price_unit, quantity, default_code=None,
                       source='product_id'):
    """One order line as a content entry.

    ``content_id`` as ``content_id()`` makes it; the product's name, or the
    line's when the product has none.
    """
    return {
        'content_id': content_id(product_id, default_code, source),
        'content_type': 'product',
        'content_name': product_name or line_name,
        'price': price_unit,
        'quantity': quantity,
    }
