from odoo import api, fields, models

from .tiktok_pos_sale import EVENT_KEY, OFFLINE_EVENT, paid_amount

# The states of an order its customer has paid for ('done': posted in the accounting).
PAID_STATES = frozenset(('paid', 'done', 'invoiced'))


class PosOrder(models.Model):
    _inherit = 'pos.order'

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders.filtered(lambda order: order.state in PAID_STATES)._tiktok_queue_offline_purchase()
        return orders

    def write(self, vals):
        result = super().write(vals)
        if vals.get('state') in PAID_STATES:
            self._tiktok_queue_offline_purchase()
        return result

    # ------------------------------------------------------------------
    # Trusted path (private: never reachable over RPC)
    # ------------------------------------------------------------------

    def _tiktok_is_sale(self):
        """A paid sale: refunds, and orders for which nothing was paid (whatever
        their state and total say), are no Purchase."""
        self.ensure_one()
        return self.state in PAID_STATES and not self.is_refund and paid_amount(self) > 0

    def _tiktok_queue_offline_purchase(self):
        """One offline Purchase per paid order, ever: its customer, point of
        sale, reference, lines and the amount its payments brought are kept as
        they were when it was paid, and the event id is derived from that
        record, so paying (or posting) again queues nothing."""
        sales = self.env['tiktok.pos.sale'].sudo()
        orders = self.sudo().filtered(lambda order: order._tiktok_is_sale())
        known = set(sales.search([('order_id', 'in', orders.ids)]).order_id.ids)
        entries = []
        for order in orders:
            config = order.config_id
            event_set = config.tiktok_offline_event_set_id
            if order.id in known or not event_set or not config.tiktok_website_id:
                continue
            sale = sales.create(sales._frozen_values(order))
            entries.append({
                'event_source': 'offline',
                'event_source_id': event_set,
                'website': config.tiktok_website_id,
                'event': OFFLINE_EVENT,
                'record': sale,
                'key': EVENT_KEY,
                # When the customer bought, never later than now.
                'queued_at': min(order.date_order or fields.Datetime.now(), fields.Datetime.now()),
            })
        if entries:
            self.env['tiktok.source.event'].sudo()._queue(entries)
