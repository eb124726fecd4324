from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import mute_logger, new_test_user, tagged

from odoo.addons.http_routing.tests.common import MockRequest
from odoo.addons.website_tiktok_events.tests.common import TikTokCase
from odoo.addons.website_tiktok_events.tools.hashing import hash_email, hash_phone, sha256_hex

EVENT_SET = '7300000000000000001'


@tagged('post_install', '-at_install')
class TestCrmStageEvents(TikTokCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_users('crm')
        cls.website.tiktok_crm_event_set_id = EVENT_SET
        cls.salesman = new_test_user(cls.env, 'tt_salesman_crm', groups='sales_team.group_sale_salesman_all_leads')
        cls.stage_new = cls.env.ref('crm.stage_lead1')
        cls.stage_qualified = cls.env.ref('crm.stage_lead2')
        cls.stage_proposition = cls.env.ref('crm.stage_lead3')
        cls.Queue = cls.env['tiktok.source.event'].with_user(cls.sidecar_user)
        cls.country = cls.env.ref('base.be')

    LEAD_VALUES = {'name': 'Desk for the office', 'type': 'opportunity', 'email_from': ' Buyer@Example.com ',
                   'phone': '0470 12 34 56'}

    def _lead(self, path='/website/form/crm.lead', consent_cookie=None, **values):
        """A lead sent from the website's contact form, as website_form creates it."""
        cookies = {'ttclid': 'E.C.P.form', '_ttp': 'ttp-form'}
        if consent_cookie:
            cookies['website_cookies_bar'] = consent_cookie
        with MockRequest(self.env, path=path, website=self.website, cookies=cookies,
                         remote_addr='203.0.113.9') as request:
            request.httprequest.headers = {'User-Agent': 'Mozilla/5.0 Chrome/126'}
            lead = self.env['crm.lead'].sudo().create({
                **self.LEAD_VALUES, 'country_id': self.country.id, 'stage_id': self.stage_new.id,
                'company_id': self.website.company_id.id, **values,
            })
        return lead.with_env(self.env)

    def _back_office_lead(self, user=None, **values):
        """A lead a salesman made himself."""
        return self.env['crm.lead'].with_user(user or self.salesman).create({
            **self.LEAD_VALUES, 'country_id': self.country.id, 'stage_id': self.stage_new.id,
            'company_id': self.website.company_id.id, **values,
        })

    def _queued(self, lead):
        return self.env['tiktok.source.event'].sudo().search(
            [('res_model', '=', 'crm.lead'), ('res_id', '=', lead.id)], order='id')

    def _claim(self, claimer='a'):
        return self.Queue.tiktok_claim_source_events(limit=100, lease_seconds=600, claimer=claimer)

    def test_each_mapped_stage_is_queued_once(self):
        lead = self._lead()
        lead.write({'stage_id': self.stage_qualified.id})
        lead.write({'stage_id': self.stage_proposition.id})  # not mapped by default
        lead.write({'stage_id': self.stage_qualified.id})  # back again: nothing new
        lead.write({'stage_id': self.stage_new.id})
        lead.action_set_won()
        self.assertEqual(self._queued(lead).mapped('event'), ['Raw', 'Qualified', 'Converted'])
        self.assertEqual(set(self._queued(lead).mapped('event_source')), {'crm'})
        self.assertEqual(set(self._queued(lead).mapped('event_source_id')), {EVENT_SET})

    def test_lost_is_mapped_and_a_custom_mapping_replaces_the_default(self):
        self.env['tiktok.crm.stage.event'].create([
            {'website_id': self.website.id, 'trigger': 'stage', 'stage_id': self.stage_proposition.id,
             'event': 'Contacted'},
            {'website_id': self.website.id, 'trigger': 'lost', 'event': 'Unqualified'},
        ])
        lead = self._lead()
        lead.write({'stage_id': self.stage_qualified.id})
        lead.write({'stage_id': self.stage_proposition.id})
        lead.action_set_lost()
        self.assertEqual(self._queued(lead).mapped('event'), ['Contacted', 'Unqualified'])

    def test_an_event_queued_concurrently_is_kept_once(self):
        lead = self._lead()
        Queue = self.env['tiktok.source.event'].sudo()
        points = (('Raw', 'stage:%d' % self.stage_new.id), ('Converted', 'won'))
        entries = [{'event_source': 'crm', 'event_source_id': EVENT_SET, 'website': self.website, 'event': event,
                    'record': lead, 'key': key} for event, key in points]
        # As if another transaction had committed the Raw event after this one looked.
        with patch.object(type(Queue), 'search', lambda *args, **kwargs: Queue.browse()), mute_logger('odoo.sql_db'):
            created = Queue._queue(entries)
        self.assertEqual(created.mapped('event'), ['Converted'])
        self.assertEqual(self._queued(lead).mapped('event'), ['Raw', 'Converted'])

    def test_mapping_rules(self):
        Mapping = self.env['tiktok.crm.stage.event']
        with self.assertRaises(ValidationError):
            Mapping.create({'website_id': self.website.id, 'trigger': 'stage', 'event': 'Raw'})
        with self.assertRaises(ValidationError):
            Mapping.create({'website_id': self.website.id, 'trigger': 'won', 'stage_id': self.stage_new.id,
                            'event': 'Converted'})
        Mapping.create({'website_id': self.website.id, 'trigger': 'won', 'event': 'Converted'})
        with self.assertRaises(ValidationError):
            Mapping.create({'website_id': self.website.id, 'trigger': 'won', 'event': 'Qualified'})
        with self.assertRaises(ValidationError):
            self.website.tiktok_crm_event_set_id = '73 00; drop'

    def test_no_event_set_no_event(self):
        self.website.tiktok_crm_event_set_id = False
        lead = self._lead()
        lead.write({'stage_id': self.stage_qualified.id})
        self.assertFalse(self._queued(lead))

    def test_claim_returns_the_contract_shape(self):
        partner = self.env['res.partner'].create({'name': 'Buyer', 'email': 'buyer@example.com'})
        lead = self._lead(partner_id=partner.id)
        lead.tiktok_lead_id = '7412345678901234567'  # an administrator: the lead is also TikTok's lead form's
        claimed = self._claim()
        self.assertEqual(len(claimed), 1)
        entry = claimed[0]
        row = self._queued(lead)
        self.assertEqual(entry, {
            'website_id': self.website.id,
            'event_source': 'crm',
            'event_source_id': EVENT_SET,
            'event': 'Raw',
            'event_id': row.event_id,
            'event_time': entry['event_time'],
            'user': {
                'email': hash_email('buyer@example.com'),
                'phone': hash_phone('0470 12 34 56', 'BE'),
                'external_id': partner._tiktok_external_id(),
                'ip': '203.0.113.9', 'user_agent': 'Mozilla/5.0 Chrome/126', 'ttclid': 'E.C.P.form', 'ttp': 'ttp-form',
            },
            'lead': {'lead_id': '7412345678901234567', 'lead_event_source': 'Odoo'},
        })
        self.assertAlmostEqual(entry['event_time'], fields.Datetime.now().timestamp(), delta=120)
        self.assertEqual(row.state, 'claimed')
        self.assertEqual(row.claimed_by, 'a')

    def test_claim_shares_names_and_address_as_the_website_does(self):
        self._lead(contact_name='  Mary Jane  Doe ', zip=' 1000 ', city='Bruxelles-Ville')
        self.assertNotIn('first_name', self._claim()[0]['user'])  # default: contact keys only
        self.website.tiktok_match_keys = 'contact_name_address'
        self._lead(contact_name='  Mary Jane  Doe ', zip=' 1000 ', city='Bruxelles-Ville')
        user = self._claim()[0]['user']
        self.assertEqual(
            {key: user.get(key) for key in ('first_name', 'last_name', 'zip_code', 'city', 'country')},
            {'first_name': sha256_hex('mary'), 'last_name': sha256_hex('jane doe'), 'zip_code': sha256_hex('1000'),
             'city': 'bruxellesville', 'country': self.country.code.lower()})

    def test_claims_are_leased_and_reported(self):
        first = self._lead()
        second = self._lead()
        claimed = self.Queue.tiktok_claim_source_events(limit=1, lease_seconds=600, claimer='a')
        self.assertEqual([c['event_id'] for c in claimed], self._queued(first).mapped('event_id'))
        claimed = self._claim('b')
        self.assertEqual([c['event_id'] for c in claimed], self._queued(second).mapped('event_id'))
        self.assertEqual(self._claim('c'), [])
        # A replica that died: its lease expires and another one takes over, same event id.
        self._queued(first).lease_until = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual([c['event_id'] for c in self._claim('c')], self._queued(first).mapped('event_id'))
        ids = (self._queued(first) | self._queued(second)).mapped('event_id')
        # Each replica settles what it holds: 'a' lost the first event to 'c'.
        self.assertEqual(self.Queue.tiktok_mark_source_events(event_ids=ids, state='sent', claimer='a'), 0)
        self.assertEqual(self.Queue.tiktok_mark_source_events(event_ids=ids, state='sent', claimer='c'), 1)
        self.assertEqual(self.Queue.tiktok_mark_source_events(event_ids=ids, state='sent', claimer='b'), 1)
        self.assertEqual(self.Queue.tiktok_mark_source_events(event_ids=ids, state='failed', claimer='c'),
                         0)  # sent is final
        self.assertEqual(self._claim('c'), [])

    def test_claim_skips_what_can_no_longer_be_sent(self):
        anonymous = self._lead(email_from=False, phone=False)
        gone = self._lead()
        gone_row = self._queued(gone)
        gone.sudo().unlink()
        self.assertEqual(self._claim(), [])
        self.assertEqual(self._queued(anonymous).skip_reason, 'no_match_keys')
        self.assertEqual(gone_row.skip_reason, 'gone')

    def test_event_ids_are_signed_per_lead_and_stage(self):
        lead = self._lead()
        lead.write({'stage_id': self.stage_qualified.id})
        ids = self._queued(lead).mapped('event_id')
        for event_id in ids:
            self.assertRegex(event_id, r'^crm-[0-9a-f]{32}$')
        self.assertEqual(len(set(ids)), 2)
        Queue = self.env['tiktok.source.event']
        self.assertEqual(Queue._source_event_id('crm', lead, 'stage:%d' % self.stage_new.id), ids[0])
        self.env['ir.config_parameter'].sudo().set_param('database.secret', 'another-secret')
        self.assertNotEqual(Queue._source_event_id('crm', lead, 'stage:%d' % self.stage_new.id), ids[0])

    def test_only_the_sidecar_and_admins_may_claim(self):
        for user in (self.internal_user, self.salesman):
            with self.assertRaises(AccessError):
                self.env['tiktok.source.event'].with_user(user).tiktok_claim_source_events()
            with self.assertRaises(AccessError):
                self.env['tiktok.source.event'].with_user(user).tiktok_mark_source_events(event_ids=['x'], state='sent')
        self.assertEqual(self.env['tiktok.source.event'].with_user(self.env.ref('base.user_admin'))
                         .tiktok_claim_source_events(claimer='admin-console'), [])

    def test_salesman_cannot_forge_or_rearm_events(self):
        lead = self._lead()
        lead.write({'stage_id': self.stage_qualified.id})
        rows = self._queued(lead)
        self._claim()
        self.Queue.tiktok_mark_source_events(event_ids=rows.mapped('event_id'), state='sent', claimer='a')
        as_salesman = lead.with_user(self.salesman)
        # Moving back and forth, or out and in again, re-arms nothing.
        as_salesman.write({'stage_id': self.stage_new.id})
        as_salesman.write({'stage_id': self.stage_qualified.id})
        as_salesman.action_set_lost()
        as_salesman.toggle_active()
        as_salesman.write({'stage_id': self.stage_qualified.id})
        self.assertEqual(self._queued(lead), rows | self._queued(lead).filtered(lambda r: r.event == 'Unqualified'))
        self.assertEqual(set(rows.mapped('state')), {'sent'})
        Queue = self.env['tiktok.source.event'].with_user(self.salesman)
        with self.assertRaises(AccessError):
            Queue.create({'event_source': 'crm', 'event_source_id': EVENT_SET, 'website_id': self.website.id,
                          'event': 'Converted', 'event_id': 'forged', 'res_model': 'crm.lead', 'res_id': lead.id})
        with self.assertRaises(AccessError):
            Queue.search([])
        with self.assertRaises(AccessError):
            rows.with_user(self.salesman).write({'state': 'pending'})
        with self.assertRaises(AccessError):
            self.env['tiktok.crm.lead.origin'].with_user(self.salesman).create(
                {'lead_id': lead.id, 'website_id': self.website.id, 'ttclid': 'forged'})
        with self.assertRaises(AccessError):
            self._origin(lead).with_user(self.salesman).write({'match_keys': {'email': 'f' * 64}})
        with self.assertRaises(AccessError):
            self.env['tiktok.crm.stage.event'].with_user(self.salesman).create(
                {'website_id': self.website.id, 'trigger': 'won', 'event': 'Converted'})
        # A website designer may edit websites, not where their leads' events go.
        designer = new_test_user(self.env, 'tt_designer_crm', groups='base.group_user,website.group_website_designer')
        for user in (self.salesman, designer):
            with self.assertRaises(AccessError):
                self.website.with_user(user).write({'tiktok_crm_event_set_id': '123'})
        self.assertEqual(self.website.tiktok_crm_event_set_id, EVENT_SET)
        self.assertEqual(set(rows.mapped('state')), {'sent'})

    def _origin(self, lead):
        return self.env['tiktok.crm.lead.origin'].sudo().search([('lead_id', '=', lead.id)])

    def test_website_form_lead_keeps_its_browser_context(self):
        lead = self._lead()
        origin = self._origin(lead)
        self.assertEqual((origin.source, origin.website_id, origin.consented), ('website_form', self.website, True))
        self.assertEqual((origin.ip, origin.user_agent, origin.ttclid, origin.ttp),
                         ('203.0.113.9', 'Mozilla/5.0 Chrome/126', 'E.C.P.form', 'ttp-form'))
        self.assertFalse(self._origin(self._lead('/odoo/action-crm')))

    def test_form_context_needs_consent_to_optional_cookies(self):
        self.website.cookies_bar = True
        refused = self._lead()
        origin = self._origin(refused)
        self.assertEqual((origin.website_id, origin.consented), (self.website, False))
        self.assertEqual((origin.ip, origin.user_agent, origin.ttclid, origin.ttp), (False,) * 4)
        granted = self._origin(self._lead(consent_cookie='{"optional": true}'))
        self.assertEqual((granted.consented, granted.ttclid, granted.ttp), (True, 'E.C.P.form', 'ttp-form'))
        # The visitor who refused is nobody's conversion: nothing queued, whatever his lead becomes.
        refused.write({'stage_id': self.stage_qualified.id})
        refused.action_set_won()
        self.assertFalse(self._queued(refused))

    def test_a_back_office_lead_is_never_a_tiktok_conversion(self):
        """A salesman types somebody's e-mail and phone into a lead and moves it: nothing goes to TikTok."""
        lead = self._back_office_lead(email_from='victim@example.com', phone='+32 470 99 88 77')
        as_salesman = lead.with_user(self.salesman)
        as_salesman.write({'stage_id': self.stage_qualified.id})
        as_salesman.action_set_won()
        self.assertFalse(self._queued(lead))
        self.assertFalse(self._origin(lead))
        # An event queued for it by an earlier release is skipped when claimed.
        self.env['tiktok.source.event'].sudo()._queue([{
            'event_source': 'crm', 'event_source_id': EVENT_SET, 'website': self.website, 'event': 'Converted',
            'record': lead, 'key': 'won'}])
        self.assertEqual(self._claim(), [])
        self.assertEqual(self._queued(lead).skip_reason, 'not_from_tiktok')

    def test_the_keys_are_the_ones_the_lead_came_in_with(self):
        lead = self._lead()
        victim = self.env['res.partner'].create({'name': 'Victim', 'email': 'victim@example.com'})
        lead.with_user(self.salesman).write({'email_from': 'victim@example.com', 'phone': '+32 470 99 88 77',
                                             'partner_id': victim.id, 'stage_id': self.stage_qualified.id})
        users = [entry['user'] for entry in self._claim()]
        self.assertEqual(len(users), 2)
        for user in users:
            self.assertEqual((user['email'], user['phone']),
                             (hash_email('buyer@example.com'), hash_phone('0470 12 34 56', 'BE')))
            self.assertNotIn('external_id', user)

    def test_only_administrators_give_a_lead_its_tiktok_lead_id(self):
        """TikTok credits the lead form submission of that id: a salesman may neither read nor write it."""
        lead = self._back_office_lead()
        as_salesman = lead.with_user(self.salesman)
        with self.assertRaises(AccessError):
            as_salesman.write({'tiktok_lead_id': '7400000000000000666'})
        with self.assertRaises(AccessError):
            as_salesman.read(['tiktok_lead_id'])
        with self.assertRaises(AccessError):
            self._back_office_lead(tiktok_lead_id='7400000000000000666')
        arch = self.env['crm.lead'].with_user(self.salesman).get_views(
            [(self.env.ref('crm.crm_lead_view_form').id, 'form')])['views']['form']['arch']
        self.assertNotIn('tiktok_lead_id', arch)
        self.assertFalse(self._queued(lead))
        # An administrator importing a TikTok lead ads' lead: its stages are sent, with the id.
        lead.with_user(self.env.ref('base.user_admin')).tiktok_lead_id = '7412345678901234567'
        origin = self._origin(lead)
        self.assertEqual((origin.source, origin.consented), ('tiktok_lead_form', True))
        as_salesman.write({'stage_id': self.stage_qualified.id})
        self.assertEqual(self._queued(lead).mapped('event'), ['Raw', 'Qualified'])
        self.assertEqual({entry['lead']['lead_id'] for entry in self._claim()}, {'7412345678901234567'})

    def test_the_lead_form_shows_the_tiktok_lead_id_for_leads_and_opportunities(self):
        arch = self.env['crm.lead'].get_view(self.env.ref('crm.crm_lead_view_form').id, 'form')['arch']
        self.assertEqual(arch.count('name="tiktok_lead_id"'), 2)
