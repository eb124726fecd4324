from datetime import timedelta

from odoo import api, fields, models

from .tiktok_content_daily import CONTENT_RETENTION_DAYS


class TikTokContentAlias(models.Model):
    """An internal reference a product had: a content id events may still
    carry (pages cached, carts filled before the change) that the catalog no
    longer has. The catalog match names the product behind it. Written by
    product.product's write(), as superuser; administrators read it; kept
    as long as the match window looks back."""
    _name = 'tiktok.content.alias'
    _description = 'TikTok content id a product had'
    _order = 'changed_at desc, id desc'
    _log_access = False

    content_id = fields.Char(string='Former internal reference', required=True, readonly=True, index=True)
    product_id = fields.Many2one('product.product', required=True, readonly=True, ondelete='cascade')
    changed_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)

    @api.model
    def _record(self, former_codes):
        """Remember {product id: its former trimmed internal reference}."""
        if former_codes:
            self.sudo().create([{'product_id': product_id, 'content_id': code}
                                for product_id, code in former_codes.items()])

    @api.model
    def _holders(self, content_ids):
        """{content id: the product that last had it as internal reference}."""
        holders = {}
        for alias in self.sudo().search([('content_id', 'in', list(content_ids))]):  # newest first
            holders.setdefault(alias.content_id, alias.product_id)
        return holders

    @api.model
    def _prune(self, now):
        self.sudo().search([('changed_at', '<', now - timedelta(days=CONTENT_RETENTION_DAYS))]).unlink()
