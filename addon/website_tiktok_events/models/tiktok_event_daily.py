from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.control_room import RETENTION_DAYS
from ..tools.report_contract import COUNTER_KEYS, INT4_MAX, MATCH_KEYS


def _count_fields(keys, labels):
    return {key: fields.Integer(string=labels.get(key, key), readonly=True, default=0) for key in keys}


def _sort_key(values):
    """Key values in a comparable order, None (no website) first."""
    return tuple((value is not None, 0 if value is None else value) for value in values)


def _add_counts(cr, table, key_columns, conflict_target, rows, count_columns):
    """Add `rows` [(key values, {column: delta})] to `table` in one statement.

    INSERT ... ON CONFLICT DO UPDATE adds to the row in place, so two replicas
    reporting at once never overwrite each other's count: the second waits on
    the first; under Odoo's REPEATABLE READ it gets a serialization failure and
    the RPC is retried (odoo.service.model.retrying), then adds to the committed
    row. Rows go in key order, so concurrent reports lock rows in the same order.
    That expected conflict is not logged as a bad query: the retry says it.
    Each delta is at most INT4_MAX (report_contract.summed_counters).
    """
    if not rows:
        return
    table_sql = SQL.identifier(table)
    columns = [SQL.identifier(column) for column in (*key_columns, *count_columns)]
    values = SQL(', ').join(
        SQL('(%s)', SQL(', ').join(SQL('%s', value) for value in (*key, *(counts[c] for c in count_columns))))
        for key, counts in sorted(rows, key=lambda row: _sort_key(row[0]))
    )
    # Saturating: a count that reached what the column holds stays there, and
    # later reports (of any replica) still add up everywhere else.
    updates = SQL(', ').join(
        SQL('%s = LEAST(%s.%s::bigint + EXCLUDED.%s, %s)', SQL.identifier(c), table_sql, SQL.identifier(c),
            SQL.identifier(c), INT4_MAX)
        for c in count_columns
    )
    cr.execute(SQL(
        'INSERT INTO %s (%s) VALUES %s ON CONFLICT %s DO UPDATE SET %s',
        table_sql, SQL(', ').join(columns), values, SQL(conflict_target), updates,
    ), log_exceptions=False)


def _prune_days(model, today):
    """Days beyond the retention leave the table."""
    model.env.cr.execute(SQL('DELETE FROM %s WHERE day < %s', SQL.identifier(model._table),
                             today - timedelta(days=RETENTION_DAYS)))
    model.invalidate_model()


class TikTokEventDaily(models.Model):
    """What the sidecar did with each event, per day (UTC), website and event.

    Written only by tiktok.sidecar.report.tiktok_report() with SQL upserts;
    administrators read it. Days older than the retention are pruned at intake.
    """
    _name = 'tiktok.event.daily'
    _description = 'TikTok events per day'
    _order = 'day desc, website_id, event'
    _log_access = False

    day = fields.Date(required=True, readonly=True, index=True)
    website_id = fields.Many2one('website', ondelete='cascade', readonly=True,
                                 help='Empty: the pixel was no longer configured on any website.')
    event = fields.Char(required=True, readonly=True)
    locals().update(_count_fields(COUNTER_KEYS, {
        'accepted': 'Relayed', 'delivered': 'Delivered', 'retried': 'Retried', 'dead': 'Dead letters',
        'pixel_loaded': 'Pixel loaded', 'pixel_blocked': 'Pixel blocked',
        'pixel_withheld': 'Pixel not loaded (privacy)',
        'with_email': 'Delivered with e-mail', 'with_phone': 'Delivered with phone',
        'with_external_id': 'Delivered with external id', 'with_ttclid': 'Delivered with TikTok click id',
        'with_ttp': 'Delivered with TikTok cookie', 'with_ip': 'Delivered with IP address',
        'with_user_agent': 'Delivered with user agent'}))

    # One row per (day, website, event); "no website" counts as one website.
    _day_website_event_unique = models.UniqueIndex('(day, (COALESCE(website_id, 0)), event)')

    @api.model
    def _add(self, day, sums):
        """Add counter deltas {(website_id or None, event): {accepted, ...}} to `day`."""
        rows = [((day, website_id, event), counts) for (website_id, event), counts in sums.items()
                if any(counts.values())]
        _add_counts(self.env.cr, self._table, ('day', 'website_id', 'event'),
                    '(day, (COALESCE(website_id, 0)), event)', rows, COUNTER_KEYS)
        self.invalidate_model()

    @api.model
    def _prune(self, today):
        _prune_days(self, today)


class TikTokMatchDaily(models.Model):
    """Among the events delivered each day (UTC), how many carried each match key."""
    _name = 'tiktok.match.daily'
    _description = 'TikTok match keys per day'
    _order = 'day desc'
    _log_access = False

    day = fields.Date(required=True, readonly=True)
    locals().update(_count_fields(MATCH_KEYS, {
        'delivered': 'Delivered', 'email': 'E-mail', 'phone': 'Phone', 'external_id': 'External id',
        'ttclid': 'TikTok click id', 'ttp': 'TikTok cookie', 'ip': 'IP address', 'user_agent': 'User agent'}))

    _day_unique = models.Constraint('UNIQUE(day)', 'One row per day.')

    @api.model
    def _add(self, day, counts):
        if any(counts.values()):
            _add_counts(self.env.cr, self._table, ('day',), '(day)', [((day,), counts)], MATCH_KEYS)
            self.invalidate_model()

    @api.model
    def _prune(self, today):
        _prune_days(self, today)
