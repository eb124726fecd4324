from odoo import models
from odoo.http import request

from ..tools.contents import content_group_id
from ..tools.page_config import without_empty


class ProductTemplate(models.Model):
    _inherit = 'product.template'

    def _get_combination_info(self, *args, **kwargs):
        """Let Odoo's `view_item_event` fire on variant change for TikTok too.

        website_sale only adds `product_tracking_info` (the event's payload)
        when the website has a Google Analytics key; without it the browser
        would never hear about a variant change. Same payload shape as Odoo's,
        so Google Analytics, when present, is unaffected.
        """
        combination_info = super()._get_combination_info(*args, **kwargs)
        if (
            'product_tracking_info' not in combination_info
            and request
            and getattr(request, 'website', None)
            and request.website._tiktok_tracking_active()
        ):
            product = self.env['product.product'].browse(combination_info.get('product_id'))
            combination_info['product_tracking_info'] = self._get_google_analytics_data(
                product, combination_info,
            )
        return combination_info

    def _tiktok_product_data(self, combination_info, website, variant_chosen=True):
        """The `product` part of the page config blob (docs/CONTRACTS.md §2).

        A product with several variants whose page was opened without one
        chosen (no ``attribute_values`` in its URL) is shown as a product
        group, as TikTok names it: the feed's ``item_group_id``
        (``content_group_id``), with the content id of the variant the page
        shows as ``variant_id``.
        """
        self.ensure_one()
        product = self.env['product.product'].browse(combination_info.get('product_id')) or self.product_variant_id
        variant_id = website._tiktok_content_id(product) if product else None
        group = not variant_chosen and self.product_variant_count > 1
        data = {
            'content_id': content_group_id(self.id) if group else variant_id,
            'content_type': 'product_group' if group else None,
            'variant_id': variant_id if group else None,
            'content_name': combination_info.get('display_name') or self.name,
            'content_category': self._tiktok_public_category_name(website),
            'price': combination_info.get('price'),
            'currency': (combination_info.get('currency') or website.currency_id).name,
        }
        return without_empty(data)

    def _tiktok_public_category_name(self, website):
        categories = self.public_categ_ids.filtered(
            lambda category: not category.website_id or category.website_id == website
        )
        return categories[:1].name or None
