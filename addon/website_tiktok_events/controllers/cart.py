from odoo.http import request, route

from odoo.addons.website_sale.controllers.cart import Cart

# The key of `/shop/cart/add`'s answer under which the browser bundle finds
# what was just added (docs/CONTRACTS.md §9). Odoo's own `tracking_info` is
# left as it is: Google Analytics reads it, and its `quantity` is the line's
# new total, not what was added.
ADDED_KEY = 'tiktok_added'


def tiktok_added(order, added_qty_per_line):
    """What one add to cart added (``contents``) and the whole cart after it
    (``cart``: its product lines, combo items included, delivery excluded, as
    a Purchase counts them), in the order's currency; None when nothing was
    added."""
    contents = order._tiktok_cart_contents(added_qty_per_line) if order else []
    if not contents:
        return None
    return {
        'currency': order.currency_id.name,
        'contents': contents,
        'cart': order._tiktok_cart_contents(order._tiktok_cart_lines()),
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
