"""19.0.1.5.0 sends a web Purchase only for an order a buyer checked out on the
website, a fact the checkout now records (tiktok.web.checkout). Orders of
earlier releases have no such record; these count as checked out:

- every order with a TikTok Purchase row (pending, being sent, sent, refused or
  not sent): the release that queued it judged it a web order, and its
  Purchase goes on, or can be sent again, as before;
- every website order whose buyer context was recorded by the checkout's
  payment step (`tiktok_consent` set: only that step and administrators
  write it), e.g. a wire-transfer order still awaiting its confirmation.

Other website orders (back-office orders given a website, carts that never
reached the payment step) are not web checkouts: they get no Purchase, and
the backfill leaves them alone. Each record keeps the order's buyer and
website as they are at the upgrade.
"""


def migrate(cr, version):
    cr.execute(
        """
        INSERT INTO tiktok_web_checkout (sale_order_id, partner_id, website_id, origin,
                                         create_uid, create_date, write_uid, write_date)
        SELECT so.id, so.partner_id, so.website_id, 'upgrade',
               1, now() at time zone 'utc', 1, now() at time zone 'utc'
          FROM sale_order so
         WHERE so.website_id IS NOT NULL
           AND (so.tiktok_consent IS NOT NULL
                OR EXISTS (SELECT 1 FROM tiktok_server_event event WHERE event.sale_order_id = so.id))
        ON CONFLICT (sale_order_id) DO NOTHING
        """
    )
