from odoo import fields


def open_pos_session(env, config):
    """The open session of a point of sale, opened now if it has none."""
    session = config.current_session_id
    if not session:
        session = env['pos.session'].create({'config_id': config.id, 'user_id': env.uid})
    return session


def pos_order(env, session, product, partner=None, qty=2, price_unit=10.0, paid=True, **values):
    """A Point of Sale order as the till syncs it, paid in full when `paid`."""
    total = qty * price_unit
    order = env['pos.order'].create({
        'session_id': session.id,
        'partner_id': partner.id if partner else False,
        'lines': [(0, 0, {
            'product_id': product.id, 'qty': qty, 'price_unit': price_unit,
            'price_subtotal': total, 'price_subtotal_incl': total,
            'full_product_name': product.display_name,
        })],
        'amount_tax': 0.0, 'amount_total': total, 'amount_paid': 0.0, 'amount_return': 0.0,
        **values,
    })
    if paid:
        order.add_payment({
            'pos_order_id': order.id, 'amount': total, 'payment_date': fields.Datetime.now(),
            'payment_method_id': session.config_id.payment_method_ids[:1].id,
        })
        order.action_pos_order_paid()
    return order
