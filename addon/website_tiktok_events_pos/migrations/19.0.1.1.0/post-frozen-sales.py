"""19.0.1.1.0 keeps what a sale was worth when it was paid (its payments, the
change deducted), its reference and its lines, on tiktok.pos.sale; the
offline Purchase sends those, never the order as it is at claim time. Sales
recorded by 19.0.1.0.0 get them from their order as it is at the upgrade (the
best there is): the amount from the order's payments, like new sales."""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    sales = env['tiktok.pos.sale'].search([('currency_id', '=', False)])
    for sale in sales:
        values = sale._frozen_values(sale.order_id)
        sale.write({key: values[key] for key in ('order_name', 'amount', 'currency_id', 'lines')})
