from odoo.http import Controller, request, route

from ..tools.report_contract import MAX_REPORT_BYTES

# The path the sidecar's JSON-2 transport posts its report to: this route
# takes it over from Odoo's generic /json/2/<model>/<method> (a path without
# placeholders wins), for one reason: a body larger than any honest report is
# answered 413 before it is read, let alone parsed (docs/CONTRACTS.md §7).
REPORT_PATH = '/json/2/tiktok.sidecar.report/tiktok_report'


class TikTokSidecarReport(Controller):

    @route(REPORT_PATH, methods=['POST'], auth='bearer', type='json2', save_session=False,
           max_content_length=MAX_REPORT_BYTES)
    def tiktok_report(self, report=None, context=None, **kwargs):
        # The same method, the same checks as through the generic route.
        return request.env['tiktok.sidecar.report'].tiktok_report(report)
