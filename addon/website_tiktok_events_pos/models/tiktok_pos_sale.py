from datetime import timedelta

from odoo import api, fields, models

from odoo.addons.website_tiktok_events.tools.frozen_lines import frozen_contents
from odoo.addons.website_tiktok_events.tools.page_config import without_empty

OFFLINE_EVENT = 'Purchase'
EVENT_KEY = 'purchase'
# TikTok refuses offline events older than this (the sidecar's limit is the same).
MAX_EVENT_AGE = timedelta(days=28)


def paid_amount(order):
    """What the customer paid for `order`: its payments, the change given back
    (a negative payment) deducted. Not `amount_total` nor `amount_paid`, which
    a cashier may write on the order."""
    return order.currency_id.round(sum(order.payment_ids.mapped('amount')))


def frozen_lines(order):
    """The order's product lines as they were paid for, for the Purchase's contents."""
    return [line.product_id._tiktok_frozen_line(line.full_product_name, line.price_unit, line.qty)
            for line in order.lines if line.product_id]


class TikTokPosSale(models.Model):
    """A paid Point of Sale order as it was when it was paid: its point of
    sale, customer, reference, what was paid and for which lines. The record
    its offline Purchase is about.

    Apart from pos.order on purpose: cashiers may write orders (their customer,
    point of sale, total, lines), and the sidecar sends these as the buyer's
    keys, the shop and the sale's value. Only the module's superuser code
    writes it, once per order, at payment.
    """
    _name = 'tiktok.pos.sale'
    _description = 'TikTok offline sale of a point of sale'
    _rec_name = 'order_id'

    order_id = fields.Many2one('pos.order', required=True, ondelete='cascade', index=True, readonly=True)
    config_id = fields.Many2one('pos.config', string='Point of Sale', required=True, ondelete='cascade',
                                readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', ondelete='set null', readonly=True)
    order_name = fields.Char('Order reference', readonly=True)
    amount = fields.Float('Paid', readonly=True, help='What the customer paid, change deducted.')
    currency_id = fields.Many2one('res.currency', readonly=True)
    lines = fields.Json('Lines paid for', readonly=True)

    _order_unique = models.Constraint('UNIQUE(order_id)', 'One offline sale per order.')

    def _tiktok_source_event_data(self, queued):
        """The `user` and `properties` of a claimed offline Purchase, or a skip reason."""
        self.ensure_one()
        if queued.queued_at < fields.Datetime.now() - MAX_EVENT_AGE:
            return None, 'too_old'
        partner = self.partner_id
        if not partner or not (partner.email or partner.phone):
            return None, 'anonymous'
        website = queued.website_id
        user = dict(website._tiktok_partner_match_keys(partner))
        if 'phone_number' in user:
            user['phone'] = user.pop('phone_number')
        return {
            'user': user,
            'properties': without_empty({
                'value': self.amount,
                'currency': self.currency_id.name,
                'contents': self._tiktok_contents(website),
                'order_id': self.order_name,
                'shop_id': str(self.config_id.id),
            }),
        }, None

    @api.model
    def _frozen_values(self, order):
        """What a sale keeps of `order` at payment."""
        return {
            'order_id': order.id,
            'config_id': order.config_id.id,
            'partner_id': order.partner_id.id,
            'order_name': order.name,
            'amount': paid_amount(order),
            'currency_id': order.currency_id.id,
            'lines': frozen_lines(order),
        }

    def _tiktok_contents(self, website):
        self.ensure_one()
        return frozen_contents(self.lines, website._tiktok_resolved_settings()['content_id_source'], self.currency_id)
