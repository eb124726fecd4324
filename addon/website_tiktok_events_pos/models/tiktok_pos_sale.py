from datetime import timedelta

from odoo import fields, models

from odoo.addons.website_tiktok_events.tools.contents import content_name, order_line_content
from odoo.addons.website_tiktok_events.tools.page_config import without_empty

OFFLINE_EVENT = 'Purchase'
EVENT_KEY = 'purchase'
# TikTok refuses offline events older than this (the sidecar's limit is the same).
MAX_EVENT_AGE = timedelta(days=28)


class TikTokPosSale(models.Model):
    """A paid Point of Sale order as it was when it was paid: its point of sale
    and customer. The record its offline Purchase is about.

    Apart from pos.order on purpose: cashiers may write orders (their customer,
    their point of sale), and the sidecar sends these as the buyer's keys and
    the shop. Only the module's superuser code writes it, once per order.
    """
    _name = 'tiktok.pos.sale'
    _description = 'TikTok offline sale of a point of sale'
    _rec_name = 'order_id'

    order_id = fields.Many2one('pos.order', required=True, ondelete='cascade', index=True, readonly=True)
    config_id = fields.Many2one('pos.config', string='Point of Sale', required=True, ondelete='cascade',
                                readonly=True)
    partner_id = fields.Many2one('res.partner', string='Customer', ondelete='set null', readonly=True)

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
        order = self.order_id
        return {
            'user': user,
            'properties': without_empty({
                'value': order.amount_total,
                'currency': order.currency_id.name,
                'contents': self._tiktok_contents(website),
                'order_id': order.name,
                'shop_id': str(self.config_id.id),
            }),
        }, None

    def _tiktok_contents(self, website):
        self.ensure_one()
        source = website._tiktok_resolved_settings()['content_id_source']
        return [
            order_line_content(
                line.product_id.id, content_name(line.product_id), line.full_product_name, line.price_unit,
                line.qty, line.product_id.default_code, source,
            )
            for line in self.order_id.lines
            if line.product_id
        ]
