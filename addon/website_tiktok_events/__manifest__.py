{
    'name': 'TikTok Pixel & Events API',
    'version': '19.0.1.7.0',
    'category': 'Website/Website',
    'summary': 'TikTok Pixel with an Events API sidecar: 14 events, consent, deduplicated purchases',
    'description': """
TikTok Pixel on every website page, with the configuration the Events API
sidecar reads: global settings in Website > Configuration > Settings,
per-website overrides, a restricted access token, a "TikTok sidecar" security
group, and the page data (product, purchase, hashed identify) the browser
bundle needs. A control room under Website > Reporting > TikTok shows what the
sidecar reports: its status, events per day, Purchase coverage, match keys,
problems in plain words, dead letters to send again and test events.
""",
    'author': 'odoo-tiktok-events contributors',
    'license': 'LGPL-3',
    'depends': ['website_sale'],
    'data': [
        'security/tiktok_security.xml',
        'security/ir.model.access.csv',
        'views/tiktok_control_room_views.xml',
        'data/tiktok_alert_cron.xml',
        'data/tiktok_catalog_cron.xml',
        'wizard/tiktok_sidecar_connect_views.xml',
        'views/res_config_settings_views.xml',
        'views/website_views.xml',
        'views/sale_order_views.xml',
        'views/website_templates.xml',
    ],
    'assets': {
        'web.assets_frontend': [
            'website_tiktok_events/static/src/js/tiktok_events.js',
        ],
        # The debug panel, loaded by the page bundle on debug pages only (LazyComponent).
        'website_tiktok_events.pixel_helper': [
            'website_tiktok_events/static/src/debug/tiktok_pixel_helper.js',
            'website_tiktok_events/static/src/xml/tiktok_pixel_helper.xml',
        ],
        'web.assets_backend': [
            'website_tiktok_events/static/src/js/tiktok_dashboard.js',
            'website_tiktok_events/static/src/xml/tiktok_control_room.xml',
        ],
    },
    'installable': True,
    'application': False,
}
