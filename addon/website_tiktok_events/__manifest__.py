{
    'name': 'TikTok Pixel & Events API',
    'version': '19.0.1.1.0',
    'category': 'Website/Website',
    'summary': 'TikTok Pixel with an Events API sidecar: 14 events, consent, deduplicated purchases',
    'description': """
TikTok Pixel on every website page, with the configuration the Events API
sidecar reads: global settings in Website > Configuration > Settings,
per-website overrides, a restricted access token, a "TikTok sidecar" security
group, and the page data (product, purchase, hashed identify) the browser
bundle needs.
""",
    'author': 'odoo-tiktok-events contributors',
    'license': 'LGPL-3',
    'depends': ['website_sale'],
    'data': [
        'security/tiktok_security.xml',
        'security/ir.model.access.csv',
        'views/res_config_settings_views.xml',
        'views/website_views.xml',
        'views/sale_order_views.xml',
        'views/website_templates.xml',
    ],
    'assets': {
        'web.assets_frontend': [
            'website_tiktok_events/static/src/js/tiktok_events.js',
        ],
    },
    'installable': True,
    'application': False,
}
