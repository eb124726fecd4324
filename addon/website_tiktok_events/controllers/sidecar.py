from odoo.http import Controller, request, route

from ..models.ir_http import REPORT_PATH
from ..tools.report_contract import MAX_REPORT_BYTES

# REPORT_PATH is where the sidecar's JSON-2 transport posts its report: this
# route takes it over from Odoo's generic /json/2/<model>/<method> (a path
# without placeholders wins), for one reason: a body larger than any honest
# report is answered 413 before it is read, let alone parsed
# (docs/CONTRACTS.md §7; ir.http._pre_dispatch checks its declared length).


class TikTokSidecarReport(Controller):

    @route(REPORT_PATH, methods=['POST'], auth='bearer', type='json2', save_session=False,
           max_content_length=MAX_REPORT_BYTES)
    def tiktok_report(self, report=None, context=None, **kwargs):
        # The same method, the same checks as through the generic route.
        return request.env['tiktok.sidecar.report'].tiktok_report(report)
