from odoo import fields, models


class TikTokCrmLeadOrigin(models.Model):
    """The website and browser a lead came from, as its form submission saw them.

    Apart from crm.lead on purpose: salespeople may write leads, and the sidecar
    sends this data as TikTok's attribution keys. Only the module's superuser
    code writes it, from the website form's request.
    """
    _name = 'tiktok.crm.lead.origin'
    _description = 'TikTok origin of a lead'
    _rec_name = 'lead_id'

    lead_id = fields.Many2one('crm.lead', required=True, ondelete='cascade', index=True, readonly=True)
    website_id = fields.Many2one('website', required=True, ondelete='cascade', readonly=True)
    ip = fields.Char('IP address', readonly=True)
    user_agent = fields.Char(readonly=True)
    ttclid = fields.Char('TikTok click id', readonly=True)
    ttp = fields.Char('TikTok cookie (_ttp)', readonly=True)

    _lead_unique = models.Constraint('UNIQUE(lead_id)', 'One origin per lead.')
