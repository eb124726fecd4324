from odoo import models

from ..tools.frozen_lines import frozen_line


class ProductProduct(models.Model):
    _inherit = 'product.product'

    def _tiktok_content_name(self):
        """The product's name as every event names it: Odoo's shop name (the
        variant's attribute values included), without the internal reference.
        The product page (``_get_combination_info``), the cart's answer and the
        Purchase all use it, so TikTok sees one name per product."""
        self.ensure_one()
        return self.with_context(display_default_code=False).display_name

    def write(self, vals):
        # A changed internal reference is a content id the catalog loses while
        # events may still send it: remembered for the catalog match.
        former = {}
        if 'default_code' in vals:
            new_code = (vals['default_code'] or '').strip() if isinstance(vals['default_code'], str) else ''
            former = {product.id: (product.default_code or '').strip() for product in self}
            former = {product_id: code for product_id, code in former.items() if code and code != new_code}
        result = super().write(vals)
        self.env['tiktok.content.alias']._record(former)
        return result

    def _tiktok_frozen_line(self, line_name, price_unit, quantity):
        """One sale line of this product as it is kept (tools/frozen_lines.py)."""
        self.ensure_one()
        return frozen_line(self.id, self._tiktok_content_name(), self.default_code, line_name, price_unit, quantity)
