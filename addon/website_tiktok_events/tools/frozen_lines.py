"""A sale's product lines kept as they were when it was checked out or paid,
and the ``contents[]`` of its Purchase made from them (pure).

The web checkout (tiktok.web.checkout) and the Point of Sale's paid sale
(tiktok.pos.sale) keep the same shape, so one rule turns both into contents:
the content id follows the website's ``content_id_source`` when the event is
sent, the rest is what the buyer saw.
"""
from .contents import order_line_content


def frozen_line(product_id, product_name, default_code, line_name, price_unit, quantity):
    """One line as it is kept: what its content entry needs, nothing else
    (``product.product._tiktok_frozen_line`` reads them from the product)."""
    return {
        'product_id': product_id,
        'name': product_name,
        'line_name': line_name or '',
        'price_unit': price_unit,
        'qty': quantity,
        'default_code': default_code or False,
    }


def frozen_contents(lines, source, currency=None):
    """The content entries of kept lines, for a website's content id source,
    priced in ``currency``'s decimals (``contents.content_price``)."""
    return [
        order_line_content(line['product_id'], line['name'], line['line_name'], line['price_unit'], line['qty'],
                           line['default_code'], source, currency)
        for line in lines or []
    ]
