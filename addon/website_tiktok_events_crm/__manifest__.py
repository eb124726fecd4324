{
    'name': 'TikTok Events API: CRM lead stages',
    'version': '19.0.1.1.0',
    'category': 'Sales/CRM',
    'summary': 'Send CRM lead stage events (Qualified, Converted...) to a TikTok CRM Event Set',
    'description': """
Bridge between the CRM and the TikTok Pixel & Events API module, installed
automatically when both are: per website, a CRM Event Set id and a mapping of
pipeline stages (and won / lost) to TikTok's lead stages. When a lead reaches a
mapped stage, one event per lead and stage is queued for the Events API
sidecar, with the lead's hashed e-mail and phone and, for leads from a website
form, the visitor's TikTok click id, cookie, IP address and browser.
""",
    'author': 'odoo-tiktok-events contributors',
    'license': 'LGPL-3',
    'depends': ['crm', 'website_tiktok_events'],
    'data': [
        'security/ir.model.access.csv',
        'views/website_views.xml',
        'views/crm_lead_views.xml',
    ],
    'auto_install': True,
    'installable': True,
    'application': False,
}
