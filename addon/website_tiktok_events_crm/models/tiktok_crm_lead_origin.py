from odoo import fields, models

SOURCES = [
    ('website_form', 'Website form'),
    ('tiktok_lead_form', 'TikTok lead form'),
]


class TikTokCrmLeadOrigin(models.Model):
    """Where a lead came from, as it came in: the one thing that makes a lead's
    stages TikTok CRM events (crm_lead.py, `_tiktok_source_event_data`).

    - a website form: the website, the visitor's consent to optional cookies,
      the browser's context (with consent) and the match keys of what the
      visitor typed, all from the form submission's request;
    - a TikTok lead form (lead ads): an administrator gave the lead TikTok's
      lead id (imported with it); the keys are the lead's at that moment.

    Apart from crm.lead on purpose: salespeople may write leads (their e-mail,
    phone, customer), and the sidecar sends this data as TikTok's attribution
    keys. Only the module's superuser code writes it; nobody may edit it.
    A lead made in the back office has none: its stages are never sent.
    """
    _name = 'tiktok.crm.lead.origin'
    _description = 'TikTok origin of a lead'
    _rec_name = 'lead_id'

    lead_id = fields.Many2one('crm.lead', required=True, ondelete='cascade', index=True, readonly=True)
    source = fields.Selection(SOURCES, required=True, default='website_form', readonly=True)
    website_id = fields.Many2one('website', ondelete='cascade', readonly=True)
    consented = fields.Boolean(
        readonly=True, help='The visitor accepted optional cookies, or the website does not ask (a TikTok lead form '
                            'asked under TikTok\'s terms).')
    ip = fields.Char('IP address', readonly=True)
    user_agent = fields.Char(readonly=True)
    ttclid = fields.Char('TikTok click id', readonly=True)
    ttp = fields.Char('TikTok cookie (_ttp)', readonly=True)
    match_keys = fields.Json('Hashed match keys', readonly=True,
                             help='The e-mail, phone, customer id (hashed) and, when the website shared them, the '
                                  'name and address keys of the person, as the lead came in.')

    _lead_unique = models.Constraint('UNIQUE(lead_id)', 'One origin per lead.')
