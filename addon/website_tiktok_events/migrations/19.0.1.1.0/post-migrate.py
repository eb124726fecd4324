"""19.0.1.0.0 kept the Purchase queue on sale.order, where anyone who may write
an order could arm it. Move it into tiktok.server.event, keeping each queued
order's event id (``purchase-so-<id>``): confirmation pages already rendered
with it must still pair with the server copy."""
from odoo.tools.sql import column_exists

OLD_COLUMNS = ('tiktok_purchase_state', 'tiktok_purchase_time', 'tiktok_claimed_by', 'tiktok_lease_until')


def migrate(cr, version):
    if not column_exists(cr, 'sale_order', 'tiktok_purchase_state'):
        return
    cr.execute(
        """
        INSERT INTO tiktok_server_event
               (sale_order_id, website_id, event_id, state, queued_at, claimed_by, lease_until,
                create_uid, create_date, write_uid, write_date)
        SELECT so.id, so.website_id, 'purchase-so-' || so.id, so.tiktok_purchase_state,
               COALESCE(so.tiktok_purchase_time, so.date_order, now() at time zone 'utc'),
               so.tiktok_claimed_by, so.tiktok_lease_until,
               1, now() at time zone 'utc', 1, now() at time zone 'utc'
          FROM sale_order so
         WHERE so.tiktok_purchase_state IS NOT NULL
           AND so.website_id IS NOT NULL
        ON CONFLICT (sale_order_id) DO NOTHING
        """
    )
    cr.execute('DROP INDEX IF EXISTS sale_order_tiktok_due_index')
    for column in OLD_COLUMNS:
        cr.execute('ALTER TABLE sale_order DROP COLUMN IF EXISTS %s' % column)
