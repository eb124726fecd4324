"""19.0.1.1.0 sends a lead's stages only for a lead that came from a website
form (whose visitor did not refuse optional cookies) or from a TikTok lead
form (a TikTok lead id, which only administrators now set), with the keys it
came in with (tiktok.crm.lead.origin), never what a salesman typed later.

Leads of 19.0.1.0.0:
- a website form's origin was recorded with the browser context only when
  the visitor consented (the request always has an address): consented when
  it has one; its keys are the lead's as they are at the upgrade (the best
  there is);
- a lead with a TikTok lead id becomes a TikTok lead form's, keys as now;
- any other lead was made in the back office: its stages are no longer sent,
  and its events still waiting are skipped when claimed ('not_from_tiktok').
"""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    Origin = env['tiktok.crm.lead.origin'].with_context(active_test=False)
    for origin in Origin.search([]).filtered(lambda origin: not origin.match_keys):
        origin.write({
            'source': 'website_form',
            'consented': bool(origin.ip),
            'match_keys': origin.lead_id.with_context(active_test=False)._tiktok_match_keys(origin.website_id),
        })
    leads = env['crm.lead'].with_context(active_test=False).search([('tiktok_lead_id', '!=', False)])
    leads._tiktok_record_lead_form_origin()
