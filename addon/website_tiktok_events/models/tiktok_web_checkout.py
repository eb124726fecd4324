from odoo import api, fields, models

from ..tools.frozen_lines import frozen_contents

ORIGINS = [
    ('checkout', 'Website checkout'),
    ('upgrade', 'Website order known before the upgrade to 19.0.1.5.0'),
]


class TikTokWebCheckout(models.Model):
    """The fact "a buyer checked this order out on the website", frozen when
    the website's own checkout reaches its payment step for the session's cart.

    A web Purchase needs it (sale.order._tiktok_purchase_problem): an order's
    fields prove nothing, since a salesman can write `website_id` over RPC on
    any order he may edit. Nobody has write access to this model
    (security/ir.model.access.csv): only the checkout's controller path, as
    superuser, writes it. It also keeps the buyer and the website of that
    checkout, so an order given another customer or website afterwards is no
    longer that buyer's web checkout.
    """
    _name = 'tiktok.web.checkout'
    _description = 'TikTok: website checkout of an order'
    _rec_name = 'sale_order_id'

    sale_order_id = fields.Many2one('sale.order', required=True, ondelete='cascade', index=True, readonly=True)
    partner_id = fields.Many2one('res.partner', string='Buyer', ondelete='set null', readonly=True)
    website_id = fields.Many2one('website', ondelete='set null', readonly=True)
    origin = fields.Selection(ORIGINS, required=True, default='checkout', readonly=True)
    # What the buyer checked out, as the web Purchase sends it: a salesman may
    # edit a quotation's lines and prices (and its reference) before it is
    # confirmed in the back office, and the claim must not send his numbers.
    order_name = fields.Char('Order reference', readonly=True)
    amount = fields.Float('Checked out for', readonly=True, help='The order\'s total when the buyer checked it out.')
    currency_id = fields.Many2one('res.currency', readonly=True)
    lines = fields.Json('Lines checked out', readonly=True)

    _sale_order_unique = models.Constraint('UNIQUE(sale_order_id)', 'One website checkout per order.')

    @api.model
    def _record(self, order):
        """Remember that the website's checkout took `order`: its buyer, website,
        reference, total and lines now (each step of the checkout records it
        again: the last one before the payment is what the buyer bought)."""
        values = self._frozen_values(order)
        checkout = self.sudo().search([('sale_order_id', '=', order.id)], limit=1)
        if checkout:
            checkout.write({**values, 'origin': 'checkout'})
            return checkout
        return self.sudo().create({**values, 'sale_order_id': order.id})

    @api.model
    def _frozen_values(self, order):
        order = order.sudo()
        return {
            'partner_id': order.partner_id.id,
            'website_id': order.website_id.id,
            'order_name': order.name,
            'amount': order.amount_total,
            'currency_id': order.currency_id.id,
            'lines': order._tiktok_lines(),
        }

    def _purchase_values(self):
        """The `order_name`, `value`, `currency` and `contents` of the claimed Purchase."""
        self.ensure_one()
        return {
            'order_name': self.order_name,
            'value': self.amount,
            'currency': self.currency_id.name,
            'contents': frozen_contents(self.lines, self.sale_order_id._tiktok_content_source(), self.currency_id),
        }

    def _matches(self, order):
        """The order is still the checkout's: same buyer, same website."""
        self.ensure_one()
        return bool(order.website_id) and self.partner_id == order.partner_id and self.website_id == order.website_id
