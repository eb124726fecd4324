from odoo import models


class PaymentTransaction(models.Model):
    _inherit = 'payment.transaction'

    def _post_process(self):
        super()._post_process()
        # The payment is confirmed and its order too: queue the server Purchase.
        paid = self.filtered(lambda tx: tx.state in ('done', 'authorized') and tx.operation != 'validation')
        paid.sale_order_ids._tiktok_mark_purchase_due()
