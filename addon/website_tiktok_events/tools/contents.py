"""The ``contents[]`` entries of the Events API, as the module builds them.

One shape everywhere (sidecar/src/contract/content.ts): the page config's
purchase and checkout order, the cart's answer, the claimed Purchases and the
relay all carry it. tests/vectors/contract.json holds the examples both sides
must agree on. Plain values in, plain values out; what reads the records
(a product's name, a cart's lines) is on the models (product.product,
sale.order).
"""


def content_id(product_id, default_code=None, source='product_id'):
    """The ``content_id`` of a product for a website's ``content_id_source``
    (tools/settings_table.py): the ``product.product`` id as a decimal string,
    or its trimmed internal reference when the website chose it and there is
    one. Every content entry the module builds comes from here."""
    reference = default_code.strip() if isinstance(default_code, str) else ''
    return reference if source == 'default_code' and reference else str(product_id)


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


def content_group_id(template_id):
    """The ``item_group_id`` of a product template with several variants, and
    the ``content_id`` of an event about the template rather than one variant
    (``content_type: product_group``): the template's id as a decimal string,
    as Odoo's own product feeds group variants. The catalog feed and the
    product page both come from here."""
    return str(template_id)
