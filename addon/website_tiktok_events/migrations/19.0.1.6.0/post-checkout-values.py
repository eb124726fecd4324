"""19.0.1.6.0 sends a web Purchase with what the buyer checked out (the
order's reference, total, currency and lines when the checkout recorded it,
on tiktok.web.checkout), never the order as a salesman may have edited it
since. Checkouts recorded by earlier releases get them from their order as it
is at the upgrade: the best there is."""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    Checkout = env['tiktok.web.checkout']
    for checkout in Checkout.search([('currency_id', '=', False)]):
        values = Checkout._frozen_values(checkout.sale_order_id)
        checkout.write({key: values[key] for key in ('order_name', 'amount', 'currency_id', 'lines')})
