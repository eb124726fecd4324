"""19.0.1.4.0 sends SubmitForm as Lead, TikTok's current name, unless told
otherwise. A database that stored no choice was sending SubmitForm: it keeps
doing so (its Events Manager rules and reports expect that name) until an
administrator picks Lead in the settings."""


def migrate(cr, version):
    cr.execute(
        """
        INSERT INTO ir_config_parameter (key, value, create_uid, create_date, write_uid, write_date)
        VALUES ('website_tiktok_events.submit_form_event_name', 'SubmitForm',
                1, now() at time zone 'utc', 1, now() at time zone 'utc')
        ON CONFLICT (key) DO NOTHING
        """
    )
