from odoo import models
from odoo.tools.misc import hmac

# Scope of the HMAC behind external_id, apart from the event ids' own.
EXTERNAL_ID_SCOPE = 'website_tiktok_events.external_id'


class ResPartner(models.Model):
    _inherit = 'res.partner'

    def _tiktok_external_id(self):
        """The partner's `external_id` for TikTok: an HMAC of its id with the
        database secret (64 hex characters, as TikTok takes a hashed id).

        Computed by Odoo only, for the page's identify, the web Purchase, CRM
        and Point of Sale events: the same person has the same value
        everywhere, while nobody without the secret can tell which partner a
        value is (ids are small sequential numbers) or forge a customer's.
        The browser and the sidecar only pass it on. Private: never reachable
        over RPC.
        """
        self.ensure_one()
        return hmac(self.env(su=True), EXTERNAL_ID_SCOPE, ('res.partner', self.id))
