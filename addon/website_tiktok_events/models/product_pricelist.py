import contextlib
import contextvars
from collections import namedtuple

from odoo import models

# The pricelist rules of a batch of the catalog feed's products, read with one
# search (models/website_catalog.py) while the feed prices them one by one.
BatchRules = namedtuple('BatchRules', ['pricelist_id', 'product_ids', 'rule_ids'])
_batch_rules = contextvars.ContextVar('tiktok_feed_batch_rules', default=None)


def rule_applies(rule, products):
    """Whether the search of _get_applicable_rules (product's
    _get_applicable_rules_domain) would find ``rule`` for ``products``, its
    dates apart: the same conditions on category (or a parent), template and
    variant, term by term, in Python."""
    return (
        (not rule.categ_id or any(
            category.parent_path.startswith(rule.categ_id.parent_path) for category in products.categ_id))
        and (not rule.product_tmpl_id or rule.product_tmpl_id in products.product_tmpl_id)
        and (not rule.product_id or rule.product_id in products)
    )


def in_force_domain(date):
    """The date terms of _get_applicable_rules_domain, for filtered_domain:
    Odoo's own domain semantics for dates (seconds, days) apply."""
    return [
        '|', ('date_start', '=', False), ('date_start', '<=', date),
        '|', ('date_end', '=', False), ('date_end', '>=', date),
    ]


class ProductPricelist(models.Model):
    _inherit = 'product.pricelist'

    @contextlib.contextmanager
    def _tiktok_batch_rules(self, products):
        """Within this block, the rules of this pricelist for any of
        ``products`` come from one search (without its date: dates are
        checked per call) instead of one search per product."""
        rules = self.env['product.pricelist.item']
        if self:
            rules = rules.search([
                ('pricelist_id', '=', self.id),
                '|', ('categ_id', '=', False), ('categ_id', 'parent_of', products.categ_id.ids),
                '|', ('product_tmpl_id', '=', False), ('product_tmpl_id', 'in', products.product_tmpl_id.ids),
                '|', ('product_id', '=', False), ('product_id', 'in', products.ids),
            ])
        token = _batch_rules.set(BatchRules(self.id, frozenset(products.ids), tuple(rules.ids)))
        try:
            yield
        finally:
            _batch_rules.reset(token)

    def _get_applicable_rules(self, products, date, **kwargs):
        """The batch's rules that the search would find, in its order (the
        batch's search has the same order; a filter keeps it)."""
        batch = _batch_rules.get()
        if (not batch or kwargs or not self or self.id != batch.pricelist_id
                or products._name != 'product.product' or not batch.product_ids.issuperset(products.ids)):
            return super()._get_applicable_rules(products, date, **kwargs)
        rules = self.env['product.pricelist.item'].browse(batch.rule_ids)
        rules = rules.filtered(lambda rule: rule_applies(rule, products))
        if any(rule.date_start or rule.date_end for rule in rules):
            rules = rules.filtered_domain(in_force_domain(date))
        return rules
