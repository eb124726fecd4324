from odoo import fields, models

from ..tools.catalog_match import is_event_content_id, match_summary
from ..tools.contents import content_group_id

# Odoo record ids fit in a PostgreSQL int4: a longer number names no record.
_MAX_ID_DIGITS = 9


def record_id(content_id):
    """The record id a content id may be (the decimal rule), or None."""
    return int(content_id) if content_id.isascii() and content_id.isdigit() and len(content_id) <= _MAX_ID_DIGITS \
        else None


class WebsiteCatalogMatch(models.Model):
    """The catalog match of a website: the content ids its events sent over
    the last 7 days that are sku_ids (or item_group_ids) of its TikTok feed,
    and for the others the product behind each and why it is not there."""
    _inherit = 'website'

    def _tiktok_catalog_match(self):
        """The match summary of this website (tools/catalog_match.py `match_summary`)."""
        self.ensure_one()
        window = self.env['tiktok.content.daily']._window(self, fields.Datetime.now().date())
        kept = [key for key in window if key[1] is not None and not is_event_content_id(key[1])]
        products = [content_id for content_type, content_id in kept if content_type == 'product']
        groups = [content_id for content_type, content_id in kept if content_type == 'product_group']
        verdicts = {('product', content_id): verdict
                    for content_id, verdict in self._tiktok_product_verdicts(products).items()}
        verdicts.update({('product_group', content_id): verdict
                         for content_id, verdict in self._tiktok_group_verdicts(groups).items()})
        return match_summary(window, verdicts)

    # ------------------------------------------------------------------
    # One content id against the feed
    # ------------------------------------------------------------------

    def _tiktok_feed_exclusion(self, product):
        """Why the feed leaves ``product`` out, or None when it is a row of
        the feed in at least one currency: the feed's own rule
        (``_tiktok_catalog_domain``, then what ``_tiktok_catalog_rows`` skips),
        told in the order a merchant fixes it."""
        self.ensure_one()
        template = product.product_tmpl_id
        if not product.active or not template.active:
            return 'archived'
        if not product.filtered_domain(self._tiktok_catalog_domain()):
            if not template.sale_ok:
                return 'not_sold'
            if template.website_id and template.website_id != self:
                return 'other_website'
            return 'unpublished'
        if not self._tiktok_catalog_variant_possible(product):
            return 'variant_impossible'
        if self.prevent_zero_price_sale and all(
            (pricelist.currency_id if pricelist else self.company_id.currency_id).is_zero(
                pricelist._get_product_price(product, 1.0) if pricelist else product.lst_price)
            for pricelist in self._tiktok_catalog_pricelists().values()
        ):
            return 'zero_price'
        return None

    def _tiktok_product_entry(self, product, reason):
        return {'reason': reason, 'product_id': product.id, 'product_name': product.display_name,
                'current_content_id': self._tiktok_content_id(product)}

    def _tiktok_product_verdicts(self, content_ids):
        """{content id: None (a sku_id of the feed) or what is behind it}."""
        self.ensure_one()
        site = self.sudo()
        Product = site.env['product.product'].with_context(active_test=False)
        # Who has each id now, by the website's own rule (an internal reference, or the id itself).
        holders = {}
        candidates = Product.search([('default_code', 'in', content_ids)]) | Product.browse(
            [number for number in map(record_id, content_ids) if number]).exists()
        for product in candidates:
            holders.setdefault(site._tiktok_content_id(product), product)
        former = site.env['tiktok.content.alias']._holders(
            [content_id for content_id in content_ids if content_id not in holders])
        verdicts = {}
        for content_id in content_ids:
            product = holders.get(content_id)
            if product:
                reason = site._tiktok_feed_exclusion(product)
                verdicts[content_id] = reason and site._tiktok_product_entry(product, reason)
            elif content_id in former:
                verdicts[content_id] = site._tiktok_product_entry(former[content_id], 'reference_changed')
            else:
                # The product the other Content ID setting would name by this id.
                other = candidates.filtered(lambda product: content_id in (str(product.id), product.default_code))[:1]
                verdicts[content_id] = (site._tiktok_product_entry(other, 'content_id_setting') if other
                                        else {'reason': 'unknown'})
        return verdicts

    def _tiktok_group_verdicts(self, content_ids):
        """{group id: None (an item_group_id of the feed) or what is behind it}."""
        self.ensure_one()
        site = self.sudo()
        Template = site.env['product.template'].with_context(active_test=False)
        templates = Template.browse([number for number in map(record_id, content_ids) if number]).exists()
        by_id = {content_group_id(template.id): template for template in templates}
        verdicts = {}
        for content_id in content_ids:
            template = by_id.get(content_id)
            if not template:
                verdicts[content_id] = {'reason': 'unknown'}
                continue
            variants = template.with_context(active_test=False).product_variant_ids
            reasons = [site._tiktok_feed_exclusion(variant) for variant in variants]
            if None in reasons and template.product_variant_count > 1:
                verdicts[content_id] = None
                continue
            reason = 'single_variant' if None in reasons else (reasons[0] if reasons else 'archived')
            verdicts[content_id] = {'reason': reason, 'product_id': variants[:1].id,
                                    'product_name': template.display_name, 'current_content_id': content_id}
        return verdicts
