from odoo import api, fields, models
from odoo.http import request

from odoo.addons.website_tiktok_events.controllers.main import TTCLID_COOKIE, TTP_COOKIE, browser_consent
from odoo.addons.website_tiktok_events.models.tiktok_source_event import events_api_match_keys
from odoo.addons.website_tiktok_events.tools import hashing
from odoo.addons.website_tiktok_events.tools.page_config import without_empty
from odoo.addons.website_tiktok_events.tools.settings_table import MATCH_NAME_ADDRESS

from .tiktok_crm_stage_event import mapping_key

# Writes that may move a lead to another point of the pipeline (a stage, won, lost).
PIPELINE_FIELDS = frozenset(('stage_id', 'active', 'probability'))
# The keys a lead's name and address give (hashing.name_address_keys): sent
# only while its website shares them.
NAME_ADDRESS_KEYS = frozenset(('first_name', 'last_name', 'zip_code', 'city', 'state', 'country'))
WEBSITE_FORM_PATH = '/website/form/'
LEAD_EVENT_SOURCE = 'Odoo'


class CrmLead(models.Model):
    _inherit = 'crm.lead'

    # Administrators only: TikTok credits the lead form submission of this id
    # with the lead's stages, so a salesman pasting another person's id would
    # forge attribution.
    tiktok_lead_id = fields.Char(
        'TikTok lead id', copy=False, groups='base.group_system',
        help='The id TikTok gave this lead when it came from a TikTok lead form (imported with the lead, by an '
             'administrator). Sent with its stage events so TikTok matches them to the form submission; it also '
             'makes the lead\'s stages TikTok CRM events, with its e-mail and phone as they are when it is set.')

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        leads._tiktok_capture_web_origin()
        leads._tiktok_record_lead_form_origin()
        leads._tiktok_queue_stage_events()
        return leads

    def write(self, vals):
        result = super().write(vals)
        if 'tiktok_lead_id' in vals:
            self._tiktok_record_lead_form_origin()
        if PIPELINE_FIELDS & set(vals) or 'tiktok_lead_id' in vals:
            self._tiktok_queue_stage_events()
        return result

    # ------------------------------------------------------------------
    # Trusted paths (private: never reachable over RPC)
    # ------------------------------------------------------------------

    def _tiktok_capture_web_origin(self):
        """Leads of a website form keep what the form's request saw: the
        website, the visitor's consent, the browser's context (with consent)
        and the match keys of what the visitor typed."""
        if not request or not getattr(request, 'httprequest', None):
            return
        website = getattr(request, 'website', None)
        if not website or not request.httprequest.path.startswith(WEBSITE_FORM_PATH):
            return
        httprequest = request.httprequest
        consented = browser_consent(website) != 'denied'
        context = {}
        if consented:
            context = {
                'ip': (httprequest.remote_addr or '')[:64] or False,
                'user_agent': (httprequest.headers.get('User-Agent') or '')[:512] or False,
                'ttclid': (httprequest.cookies.get(TTCLID_COOKIE) or '')[:512] or False,
                'ttp': (httprequest.cookies.get(TTP_COOKIE) or '')[:256] or False,
            }
        self.env['tiktok.crm.lead.origin'].sudo().create([{
            'lead_id': lead.id, 'source': 'website_form', 'website_id': website.id, 'consented': consented,
            'match_keys': lead._tiktok_match_keys(website), **context,
        } for lead in self.sudo()])

    def _tiktok_record_lead_form_origin(self):
        """A lead an administrator gave a TikTok lead id (lead ads) comes from
        TikTok's lead form: its keys are kept as they are now. A lead that came
        from a website form keeps that origin."""
        leads = self.sudo().filtered('tiktok_lead_id')
        known = set(self.env['tiktok.crm.lead.origin'].sudo().search([('lead_id', 'in', leads.ids)]).lead_id.ids)
        values = []
        for lead in leads.filtered(lambda lead: lead.id not in known):
            website = lead._tiktok_website()
            values.append({'lead_id': lead.id, 'source': 'tiktok_lead_form', 'website_id': website.id,
                           'consented': True, 'match_keys': lead._tiktok_match_keys(website)})
        self.env['tiktok.crm.lead.origin'].sudo().create(values)

    def _tiktok_match_keys(self, website):
        """The lead's hashed keys now (e-mail, phone read in its country,
        customer id; name and address when `website` shares them)."""
        self.ensure_one()
        lead = self.sudo()
        country = lead.country_id or lead.partner_id.country_id
        keys = events_api_match_keys(
            email=lead.email_from,
            phone=lead.phone,
            country=country,
            external_id=lead.partner_id._tiktok_external_id() if lead.partner_id else None,
        )
        if website:
            keys.update(lead._tiktok_name_address_keys(website, country))
        return keys

    def _tiktok_origin(self):
        self.ensure_one()
        return self.env['tiktok.crm.lead.origin'].sudo().search([('lead_id', '=', self.id)], limit=1)

    def _tiktok_website(self):
        """The website whose CRM Event Set and token serve this lead: the one its
        form was sent from, else the first of its company with an event set."""
        self.ensure_one()
        origin_website = self._tiktok_origin().website_id
        if origin_website.sudo().tiktok_crm_event_set_id:
            return origin_website
        company = self.company_id or self.env.company
        return self.env['website'].sudo().search(
            [('tiktok_crm_event_set_id', '!=', False), ('company_id', 'in', (company.id, False))],
            order='sequence, id', limit=1)

    def _tiktok_reached_keys(self):
        """The points of the pipeline this lead is at now."""
        self.ensure_one()
        keys = [mapping_key('stage', self.stage_id.id)] if self.stage_id else []
        if self.won_status in ('won', 'lost'):
            keys.append(mapping_key(self.won_status))
        return keys

    def _tiktok_queue_stage_events(self):
        """One event per (lead, mapped point of the pipeline), ever: the event id
        is derived from both, so going back and forth queues nothing again.
        Only for leads that came from a website form or a TikTok lead form,
        with consent (`_tiktok_origin_problem`)."""
        entries = []
        for lead in self.sudo().with_context(active_test=False):
            website = lead._tiktok_website()
            if not website or lead._tiktok_origin_problem():
                continue
            mapping = website._tiktok_crm_stage_map()
            for key in lead._tiktok_reached_keys():
                if key in mapping:
                    entries.append({
                        'event_source': 'crm',
                        'event_source_id': website.tiktok_crm_event_set_id,
                        'website': website,
                        'event': mapping[key],
                        'record': lead,
                        'key': key,
                    })
        if entries:
            self.env['tiktok.source.event'].sudo()._queue(entries)

    def _tiktok_name_address_keys(self, website, country):
        """The lead's name and address keys, when its website shares them (the
        rule of the web Purchase: website._tiktok_partner_match_keys)."""
        if website._tiktok_resolved_settings()['match_keys'] != MATCH_NAME_ADDRESS:
            return {}
        partner = self.partner_id
        person = self.contact_name or (partner.name if partner and not partner.is_company else None)
        return hashing.name_address_keys(full_name=person, zip_code=self.zip, city=self.city,
                                         state=self.state_id.code, country=country.code)

    def _tiktok_origin_problem(self):
        """Why this lead's stages are no TikTok CRM events (a skip reason), or None.

        The rule: a lead made in the back office is nobody's conversion to
        report (a salesman may type anyone's e-mail or phone into it), so only
        a lead that came from a website form, whose visitor did not refuse
        optional cookies, or from a TikTok lead form (an administrator gave it
        TikTok's lead id) is sent, with the keys it came in with.
        """
        self.ensure_one()
        origin = self._tiktok_origin()
        if not origin:
            return 'not_from_tiktok'
        if not origin.consented:
            return 'no_consent'
        return None

    def _tiktok_source_event_data(self, queued):
        """The `user` and `lead` of a claimed CRM event, or a skip reason."""
        self.ensure_one()
        problem = self._tiktok_origin_problem()
        if problem:
            return None, problem
        origin = self._tiktok_origin()
        shares_name_address = queued.website_id._tiktok_resolved_settings()['match_keys'] == MATCH_NAME_ADDRESS
        keys = {key: value for key, value in (origin.match_keys or {}).items()
                if shares_name_address or key not in NAME_ADDRESS_KEYS}
        user = without_empty({
            **keys,
            'ip': origin.ip,
            'user_agent': origin.user_agent,
            'ttclid': origin.ttclid,
            'ttp': origin.ttp,
        })
        lead_id = self.sudo().tiktok_lead_id
        lead = {'lead_id': lead_id, 'lead_event_source': LEAD_EVENT_SOURCE} if lead_id else None
        if not (lead or any(key in user for key in ('email', 'phone', 'external_id'))):
            return None, 'no_match_keys'
        return without_empty({'user': user, 'lead': lead}), None
