from werkzeug.exceptions import LengthRequired, RequestEntityTooLarge

from odoo import models
from odoo.http import request

from ..tools.report_contract import MAX_REPORT_BYTES

REPORT_PATH = '/json/2/tiktok.sidecar.report/tiktok_report'


def declared_body_too_large(path, content_length):
    """The sidecar's report route, with a body larger than a report may be."""
    return path == REPORT_PATH and (content_length or 0) > MAX_REPORT_BYTES


def undeclared_body_length(path, content_length):
    """The sidecar's report route, with a body of no declared length (chunked):
    its size would only be known once it was read. The sidecar always declares it."""
    return path == REPORT_PATH and content_length is None


class IrHttp(models.AbstractModel):
    _inherit = 'ir.http'

    @classmethod
    def _pre_dispatch(cls, rule, args):
        # Before the JSON-2 dispatcher reads and parses the body: the route's
        # max_content_length alone is enforced by werkzeug only from 2.3 on
        # (older releases apply it to form data), and a report that large is
        # never honest. Refused from its declared length: 413.
        if undeclared_body_length(rule.rule, request.httprequest.content_length):
            raise LengthRequired('A TikTok sidecar report declares its length (Content-Length).')
        if declared_body_too_large(rule.rule, request.httprequest.content_length):
            raise RequestEntityTooLarge(
                'A TikTok sidecar report is at most %d bytes.' % MAX_REPORT_BYTES)
        return super()._pre_dispatch(rule, args)
