from odoo.tests import TransactionCase, new_test_user

from odoo.addons.website_tiktok_events.models.tiktok_claim_queue import SIDECAR_GROUP

GLOBAL_PIXEL = 'C4A1B2C3D4E5F6G7H8I9'
WEBSITE_PIXEL = 'CWEBSITE000000000002'
GLOBAL_TOKEN = 'global-token-6b1f0e2a9c'
WEBSITE_TOKEN = 'website-token-d7c4e1b038'
# The least-privilege sidecar user the README recommends: a portal user in the group only.
SIDECAR_GROUPS = 'base.group_portal,%s' % SIDECAR_GROUP


def checked_out(order):
    """`order`, as the website's checkout leaves it when its buyer reaches the
    payment step (controllers/main.py): recorded as a buyer's web checkout."""
    order.env['tiktok.web.checkout'].sudo()._record(order)
    return order


def paid(case, order, state='done', prefix='TT'):
    """A payment of `order` in `state`, post-processed as the payment flow does it
    (`case` is a PaymentCommon test; `prefix` keeps each suite's references apart)."""
    case.amount = order.amount_total
    case.currency = order.currency_id
    case.partner = order.partner_id
    tx = case._create_transaction(
        flow='redirect', sale_order_ids=[order.id], state=state, reference='%s-%d-%s' % (prefix, order.id, state))
    tx._post_process()
    return tx


class TikTokCase(TransactionCase):
    """A shop with TikTok enabled globally, nothing overridden per website."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.website = cls.env['website'].browse(1)
        cls.set_params(
            enabled='True', pixel_id=GLOBAL_PIXEL, access_token=GLOBAL_TOKEN,
            test_event_code=False, relay_url='/tiktok/relay', debug=False,
            purchase_event_name=False, submit_form_event_name=False, purchase_without_payment=False,
            test_emails=False,
            match_keys=False, limited_data_use=False, content_id_source=False, gpc=False,
        )
        cls.website.write({
            'tiktok_enabled': 'global', 'tiktok_pixel_id': False, 'tiktok_access_token': False,
            'tiktok_test_event_code': False, 'tiktok_relay_url': False, 'tiktok_debug': 'global',
            'tiktok_purchase_event_name': 'global', 'tiktok_submit_form_event_name': 'global',
            'tiktok_purchase_without_payment': 'global', 'tiktok_test_emails': False, 'tiktok_match_keys': 'global',
            'tiktok_limited_data_use': 'global', 'tiktok_content_id_source': 'global', 'tiktok_gpc': 'global',
            'cookies_bar': False,
        })

    @classmethod
    def vector_partner_values(cls, vector_partner):
        """res.partner values of the partner of tests/vectors/contract.json (``partner_identify``)."""
        country = cls.env['res.country'].search([('code', '=', vector_partner['country_code'])], limit=1)
        State = cls.env['res.country.state']
        state = State.search([('country_id', '=', country.id), ('code', '=', vector_partner['state_code'])], limit=1)
        state = state or State.create({'name': 'Vector state', 'code': vector_partner['state_code'],
                                       'country_id': country.id})
        return {
            'name': vector_partner['name'], 'email': vector_partner['email'], 'phone': vector_partner['phone'],
            'zip': vector_partner['zip'], 'city': vector_partner['city'], 'state_id': state.id,
            'country_id': country.id,
        }

    @staticmethod
    def vector_keys(keys, partner):
        """The vectors' keys of ``partner_identify``, with the external id of the partner made here."""
        return {**keys, 'external_id': partner._tiktok_external_id()}

    @classmethod
    def make_users(cls, tag):
        """The sidecar's user and a plain internal user, logins ending in `tag`."""
        cls.sidecar_user = new_test_user(cls.env, 'tt_sidecar_%s' % tag, groups=SIDECAR_GROUPS)
        cls.internal_user = new_test_user(cls.env, 'tt_internal_%s' % tag, groups='base.group_user')

    @classmethod
    def set_params(cls, **values):
        params = cls.env['ir.config_parameter'].sudo()
        for key, value in values.items():
            params.set_param('website_tiktok_events.' + key, value)
