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
WEBSITE_FORM_PATH = '/website/form/'
LEAD_EVENT_SOURCE = 'Odoo'


class CrmLead(models.Model):
    _inherit = 'crm.lead'

    tiktok_lead_id = fields.Char(
        'TikTok lead id', copy=False,
        help='The id TikTok gave this lead when it came from a TikTok lead form (imported with the lead). '
             'Sent with its stage events so TikTok matches them to the form submission.')

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        leads._tiktok_capture_web_origin()
        leads._tiktok_queue_stage_events()
        return leads

    def write(self, vals):
        result = super().write(vals)
        if PIPELINE_FIELDS & set(vals):
            self._tiktok_queue_stage_events()
        return result

    # ------------------------------------------------------------------
    # Trusted paths (private: never reachable over RPC)
    # ------------------------------------------------------------------

    def _tiktok_capture_web_origin(self):
        """Leads of a website form keep the submitting browser's context (with consent)."""
        if not request or not getattr(request, 'httprequest', None):
            return
        website = getattr(request, 'website', None)
        if not website or not request.httprequest.path.startswith(WEBSITE_FORM_PATH):
            return
        httprequest = request.httprequest
        context = {}
        if browser_consent(website) != 'denied':
            context = {
                'ip': (httprequest.remote_addr or '')[:64] or False,
                'user_agent': (httprequest.headers.get('User-Agent') or '')[:512] or False,
                'ttclid': (httprequest.cookies.get(TTCLID_COOKIE) or '')[:512] or False,
                'ttp': (httprequest.cookies.get(TTP_COOKIE) or '')[:256] or False,
            }
        self.env['tiktok.crm.lead.origin'].sudo().create([
            {'lead_id': lead.id, 'website_id': website.id, **context} for lead in self
        ])

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
        is derived from both, so going back and forth queues nothing again."""
        entries = []
        for lead in self.sudo().with_context(active_test=False):
            website = lead._tiktok_website()
            if not website:
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

    def _tiktok_source_event_data(self, queued):
        """The `user` and `lead` of a claimed CRM event, or a skip reason."""
        self.ensure_one()
        origin = self._tiktok_origin()
        country = self.country_id or self.partner_id.country_id
        user = without_empty({
            **events_api_match_keys(
                email=self.email_from,
                phone=self.phone,
                country=country,
                external_id=self.partner_id._tiktok_external_id() if self.partner_id else None,
            ),
            **self._tiktok_name_address_keys(queued.website_id, country),
            'ip': origin.ip,
            'user_agent': origin.user_agent,
            'ttclid': origin.ttclid,
            'ttp': origin.ttp,
        })
        lead = {'lead_id': self.tiktok_lead_id, 'lead_event_source': LEAD_EVENT_SOURCE} if self.tiktok_lead_id else None
        if not (lead or any(key in user for key in ('email', 'phone', 'external_id'))):
            return None, 'no_match_keys'
        return without_empty({'user': user, 'lead': lead}), None
