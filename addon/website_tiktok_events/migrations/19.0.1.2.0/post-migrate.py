"""19.0.1.2.0 remembers when a test event code was set, to flag one left on for
days. For a code set before the upgrade that moment is unknown: count from the
upgrade, so the warning comes a day later rather than never."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE website
           SET tiktok_test_event_code_set_at = now() at time zone 'utc'
         WHERE COALESCE(btrim(tiktok_test_event_code), '') != ''
           AND tiktok_test_event_code_set_at IS NULL
        """
    )
    cr.execute(
        """
        INSERT INTO ir_config_parameter (key, value, create_uid, create_date, write_uid, write_date)
        SELECT 'website_tiktok_events.test_event_code_set_at',
               to_char(now() at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS'),
               1, now() at time zone 'utc', 1, now() at time zone 'utc'
          FROM ir_config_parameter code
         WHERE code.key = 'website_tiktok_events.test_event_code'
           AND COALESCE(btrim(code.value), '') != ''
        ON CONFLICT (key) DO NOTHING
        """
    )
