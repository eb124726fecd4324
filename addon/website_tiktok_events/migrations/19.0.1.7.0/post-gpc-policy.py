"""19.0.1.7.0 honours Global Privacy Control with limited data use unless told
otherwise. A database of an earlier release ignored the signal: it keeps doing
so until an administrator picks a policy in the settings (where "Ignore" now
shows), so that an upgrade changes nothing TikTok receives by itself. The daily
counts' new columns (the pixel's state, the match keys per event) start at 0."""


def migrate(cr, version):
    cr.execute(
        """
        INSERT INTO ir_config_parameter (key, value, create_uid, create_date, write_uid, write_date)
        VALUES ('website_tiktok_events.gpc', 'ignore',
                1, now() at time zone 'utc', 1, now() at time zone 'utc')
        ON CONFLICT (key) DO NOTHING
        """
    )
