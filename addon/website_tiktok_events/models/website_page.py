from odoo import api, models

from ..tools.page_config import refresh_page_event_id


class WebsitePage(models.Model):
    _inherit = 'website.page'

    @api.model
    def _post_process_response_from_cache(self, request, response):
        super()._post_process_response_from_cache(request, response)
        html = response.response[0]
        if isinstance(html, bytes):
            html = html.decode()
        response.response = [refresh_page_event_id(html)]
