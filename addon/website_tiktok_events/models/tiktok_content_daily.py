from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.catalog_match import MATCH_WINDOW_DAYS
from ..tools.contract import CATALOG_MATCH_EVENTS
from ..tools.report_contract import CONTENT_TYPES, saturating_sum
from .tiktok_event_daily import _add_counts

# Distinct content ids kept per website and day: far above a shop's catalog
# seen in one day, and a bound on what forged events can make Odoo keep. What
# comes past it is counted, not kept (`content_id` empty).
MAX_CONTENT_IDS_PER_DAY = 20000
# Days kept: the match rate's window and the day in progress.
CONTENT_RETENTION_DAYS = MATCH_WINDOW_DAYS + 1


def summed_contents(contents, known_websites):
    """Content counts of a report summed per (website, event, type, id); an id
    that may not be kept sums under None. Entries of no known website are
    dropped: nothing in a catalog can match them."""
    sums = {}
    for entry in contents:
        if entry['website_id'] not in known_websites or not entry['count']:
            continue
        key = (entry['website_id'], entry['event'], entry['content_type'], entry['content_id'])
        sums[key] = saturating_sum(sums.get(key, 0), entry['count'])
    return sums


class TikTokContentDaily(models.Model):
    """The content ids the sidecar delivered to TikTok on ViewContent,
    AddToCart and Purchase, per day (UTC), website, event and content type:
    what the control room's catalog match compares with the feed.

    Written only by tiktok.sidecar.report.tiktok_report() with SQL upserts;
    administrators read it. An empty `content_id` counts the ids that were
    not kept (past the day's bound, or not fit to keep)."""
    _name = 'tiktok.content.daily'
    _description = 'TikTok content ids per day'
    _order = 'day desc, website_id, event, content_id'
    _log_access = False

    day = fields.Date(required=True, readonly=True, index=True)
    website_id = fields.Many2one('website', required=True, ondelete='cascade', readonly=True)
    event = fields.Selection([(event, event) for event in CATALOG_MATCH_EVENTS], required=True, readonly=True)
    content_type = fields.Selection([(kind, kind) for kind in CONTENT_TYPES], required=True, readonly=True)
    content_id = fields.Char(string='Content ID', readonly=True, help='Empty: ids counted but not kept.')
    count = fields.Integer(readonly=True, default=0)

    _key_unique = models.UniqueIndex('(day, website_id, event, content_type, (COALESCE(content_id, \'\')))')

    @api.model
    def _add(self, day, sums):
        """Add content counts {(website_id, event, content_type, content_id or None): count} to `day`."""
        rows = []
        for website_id in sorted({key[0] for key in sums}):
            mine = {key: count for key, count in sums.items() if key[0] == website_id}
            rows += self._within_bound(day, website_id, mine)
        _add_counts(self.env.cr, self._table, ('day', 'website_id', 'event', 'content_type', 'content_id'),
                    '(day, website_id, event, content_type, (COALESCE(content_id, \'\')))',
                    [((day, *key), {'count': count}) for key, count in rows], ('count',))
        self.invalidate_model()

    def _within_bound(self, day, website_id, sums):
        """`sums` with the keys the day cannot keep any more folded into the
        unrecorded count (content_id None)."""
        # Of the day's rows, only how many there are and which of this report's keys they hold:
        # a report reads a few rows, not the day's thousands.
        table = SQL.identifier(self._table)
        self.env.cr.execute(SQL('SELECT count(*) FROM %s WHERE day = %s AND website_id = %s',
                                table, day, website_id))
        [(stored,)] = self.env.cr.fetchall()
        ids = sorted({key[3] for key in sums if key[3] is not None})
        self.env.cr.execute(SQL(
            'SELECT event, content_type, content_id FROM %s WHERE day = %s AND website_id = %s AND content_id IN %s',
            table, day, website_id, tuple(ids) or ('',)))
        kept = {tuple(row) for row in self.env.cr.fetchall()}
        room = MAX_CONTENT_IDS_PER_DAY - stored
        rows, unrecorded = {}, {}
        for key, count in sorted(sums.items(), key=lambda item: (item[0][3] is None, item[0][1:3], item[0][3] or '')):
            if key[3] is not None and key[1:] not in kept:
                if room <= 0:
                    unrecorded_key = (website_id, key[1], key[2], None)
                    unrecorded[unrecorded_key] = saturating_sum(unrecorded.get(unrecorded_key, 0), count)
                    continue
                room -= 1
            rows[key] = count
        for key, count in unrecorded.items():
            rows[key] = saturating_sum(rows.get(key, 0), count)
        return list(rows.items())

    @api.model
    def _prune(self, today):
        self.env.cr.execute(SQL('DELETE FROM %s WHERE day < %s', SQL.identifier(self._table),
                                today - timedelta(days=CONTENT_RETENTION_DAYS - 1)))
        self.invalidate_model()

    @api.model
    def _window(self, website, today):
        """The website's counts over the match window: {(content_type, content_id or None): {event: count}}."""
        groups = self.sudo()._read_group(
            [('website_id', '=', website.id), ('day', '>', today - timedelta(days=MATCH_WINDOW_DAYS))],
            groupby=['content_type', 'content_id', 'event'], aggregates=['count:sum'])
        window = {}
        for content_type, content_id, event, count in groups:
            window.setdefault((content_type, content_id or None), {})[event] = count
        return window
