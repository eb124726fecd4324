{
    'name': 'TikTok Events API: Point of Sale (offline events)',
    'version': '19.0.1.1.0',
    'category': 'Sales/Point of Sale',
    'summary': 'Send paid Point of Sale orders as offline Purchases to a TikTok Offline Event Set',
    'description': """
Bridge between the Point of Sale and the TikTok Pixel & Events API module,
installed automatically when both are: per point of sale, an Offline Event Set
id and the website whose Events API access token sends its events. Each paid
order of an identified customer is sent once as an offline Purchase, with the
customer's hashed e-mail, phone and id, the order's lines and the point of sale
as the shop. Anonymous sales are counted, not sent.
""",
    'author': 'odoo-tiktok-events contributors',
    'license': 'LGPL-3',
    'depends': ['point_of_sale', 'website_tiktok_events'],
    'data': [
        'security/ir.model.access.csv',
        'views/pos_config_views.xml',
    ],
    'auto_install': True,
    'installable': True,
    'application': False,
}
