from odoo.http import request, route

from odoo.addons.website_sale.controllers.cart import Cart

from ..tools.contents import content_name
from ..tools.page_config import without_empty

# The key of `/shop/cart/add`'s answer under which the browser bundle finds
# what was just added (docs/CONTRACTS.md §9). Odoo's own `tracking_info` is
# left as it is: Google Analytics reads it, and its `quantity` is the line's
# new total, not what was added.
ADDED_KEY = 'tiktok_added'


def tiktok_contents(order, quantity_per_line):
    """TikTok contents of the order's lines found in ``quantity_per_line``
    (a `sale.order.line` id → a quantity), in the order's line order.

    Names as Odoo's own tracking shows them (without the internal reference),
    the unit price the shopper pays before taxes (Odoo's tracking price), and
    the website category the product page's ViewContent reports.
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
            'price': line.price_reduce_taxexcl,
            'quantity': quantity_per_line[line.id],
        })
        for line in lines
    ]


def tiktok_added(order, added_qty_per_line):
    """What one add to cart added (``contents``) and the whole cart after it
    (``cart``: its product lines, combo items included, delivery excluded, as
    a Purchase counts them), in the order's currency; None when nothing was
    added."""
    contents = tiktok_contents(order, added_qty_per_line) if order else []
    if not contents:
        return None
    cart_lines = {line.id: line.product_uom_qty for line in order.order_line if not line.is_delivery}
    return {
        'currency': order.currency_id.name,
        'contents': contents,
        'cart': tiktok_contents(order, cart_lines),
    }


class CartTikTok(Cart):

    @route()
    def add_to_cart(self, *args, **kwargs):
        values = super().add_to_cart(*args, **kwargs)
        if not request.website._tiktok_tracking_active():
            return values
        # Odoo's own count of what this request added to each line (the cart
        # notification's), not the line totals of `tracking_info`.
        lines = values.get('notification_info', {}).get('lines') or []
        added = tiktok_added(request.cart, {line['id']: line['quantity'] for line in lines})
        if added:
            values[ADDED_KEY] = added
        return values
