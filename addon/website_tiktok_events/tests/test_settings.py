from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from odoo.addons.website_tiktok_events.tools.settings_resolution import is_valid_relay_url, tracking_problem
from odoo.addons.website_tiktok_events.tools.settings_table import (
    DATED_SETTINGS, SETTINGS, global_param, set_at_field, settings_global_field, settings_website_field,
    website_field,
)
from .common import GLOBAL_PIXEL, GLOBAL_TOKEN, WEBSITE_PIXEL, WEBSITE_TOKEN, TikTokCase


@tagged('post_install', '-at_install')
class TestSettingsResolution(TikTokCase):

    def test_blank_website_fields_inherit_the_global_settings(self):
        resolved = self.website._tiktok_resolved_settings(with_secrets=True)
        self.assertTrue(resolved['enabled'])
        self.assertEqual(resolved['pixel_id'], GLOBAL_PIXEL)
        self.assertEqual(resolved['access_token'], GLOBAL_TOKEN)
        self.assertEqual(resolved['relay_url'], '/tiktok/relay')
        # Nothing stored: TikTok's current names.
        self.assertEqual(resolved['event_names'], {'Purchase': 'Purchase', 'SubmitForm': 'Lead'})
        self.assertFalse(resolved['debug'])
        self.assertFalse(resolved['purchase_without_payment'])
        # An existing shop shares what it shared before: the contact keys, without limited data use.
        self.assertEqual(resolved['match_keys'], 'contact')
        self.assertFalse(resolved['limited_data_use'])
        self.assertEqual(resolved['content_id_source'], 'product_id')

    def test_website_fields_override_the_global_settings(self):
        self.set_params(purchase_event_name='Purchase', test_event_code='GLOBAL1')
        self.website.write({
            'tiktok_enabled': 'off', 'tiktok_pixel_id': ' cwebsite000000000002 ',
            'tiktok_access_token': WEBSITE_TOKEN, 'tiktok_test_event_code': 'TEST123',
            'tiktok_relay_url': 'https://relay.example/tiktok/relay', 'tiktok_debug': 'on',
            'tiktok_purchase_event_name': 'CompletePayment', 'tiktok_submit_form_event_name': 'Lead',
            'tiktok_purchase_without_payment': 'on', 'tiktok_match_keys': 'contact_name_address',
            'tiktok_limited_data_use': 'on', 'tiktok_content_id_source': 'default_code', 'tiktok_gpc': 'refuse',
        })
        resolved = self.website._tiktok_resolved_settings(with_secrets=True)
        self.assertEqual(resolved, {
            'enabled': False,
            'pixel_id': WEBSITE_PIXEL,
            'access_token': WEBSITE_TOKEN,
            'test_event_code': 'TEST123',
            'relay_url': 'https://relay.example/tiktok/relay',
            'debug': True,
            'purchase_without_payment': True,
            'test_emails': '',
            'match_keys': 'contact_name_address',
            'limited_data_use': True,
            'content_id_source': 'default_code',
            'gpc': 'refuse',
            'event_names': {'Purchase': 'CompletePayment', 'SubmitForm': 'Lead'},
        })

    def test_website_can_enable_what_is_globally_disabled(self):
        self.set_params(enabled=False)
        self.assertEqual(tracking_problem(self.website._tiktok_resolved_settings()), 'disabled in settings')
        self.website.tiktok_enabled = 'on'
        self.assertIsNone(tracking_problem(self.website._tiktok_resolved_settings()))

    def test_global_matching_level_applies_when_website_inherits(self):
        self.set_params(match_keys='contact_name_address', limited_data_use=True)
        resolved = self.website._tiktok_resolved_settings()
        self.assertEqual((resolved['match_keys'], resolved['limited_data_use']), ('contact_name_address', True))
        self.website.write({'tiktok_match_keys': 'contact', 'tiktok_limited_data_use': 'off'})
        resolved = self.website._tiktok_resolved_settings()
        self.assertEqual((resolved['match_keys'], resolved['limited_data_use']), ('contact', False))

    def test_global_event_name_variants_apply_when_website_inherits(self):
        self.set_params(purchase_event_name='CompletePayment', submit_form_event_name='Lead')
        self.assertEqual(self.website._tiktok_resolved_settings()['event_names'],
                         {'Purchase': 'CompletePayment', 'SubmitForm': 'Lead'})

    def test_new_installations_send_tiktoks_current_names(self):
        self.assertEqual(self.website._tiktok_resolved_settings()['event_names'],
                         {'Purchase': 'Purchase', 'SubmitForm': 'Lead'})
        settings = self.env['res.config.settings'].create({})
        self.assertEqual((settings.tiktok_purchase_event_name, settings.tiktok_submit_form_event_name),
                         ('Purchase', 'Lead'))
        # A stored name is kept; an unknown one falls back to the current name.
        self.set_params(submit_form_event_name='SubmitForm')
        self.assertEqual(self.website._tiktok_resolved_settings()['event_names']['SubmitForm'], 'SubmitForm')
        self.set_params(submit_form_event_name='Contact')
        self.assertEqual(self.website._tiktok_resolved_settings()['event_names']['SubmitForm'], 'Lead')

    def test_test_buyers_inherit_and_are_validated(self):
        self.set_params(test_emails='qa@shop.example, @test.example')
        self.assertEqual(self.website._tiktok_resolved_settings(with_secrets=True)['test_emails'],
                         'qa@shop.example, @test.example')
        self.assertNotIn('test_emails', self.website._tiktok_resolved_settings())  # never near a page
        self.website.tiktok_test_emails = 'staff.example\nowner@mail.example'
        self.assertEqual(self.website._tiktok_resolved_settings(with_secrets=True)['test_emails'],
                         'staff.example\nowner@mail.example')
        with self.assertRaisesRegex(ValidationError, 'TikTok test buyers: qa@, localhost is neither'):
            self.website.tiktok_test_emails = 'qa@ ok@shop.example localhost'
        with self.assertRaisesRegex(ValidationError, 'TikTok test buyers: a@b@c.example is neither'):
            self.env['res.config.settings'].create({'tiktok_test_emails': 'a@b@c.example'})

    def test_page_resolution_never_reads_the_token(self):
        self.assertNotIn('access_token', self.website._tiktok_resolved_settings())

    def test_misconfiguration_reasons(self):
        self.set_params(pixel_id=False)
        self.assertEqual(tracking_problem(self.website._tiktok_resolved_settings()), 'no pixel id configured')
        self.set_params(pixel_id='bad id"</script>')
        self.assertEqual(tracking_problem(self.website._tiktok_resolved_settings()),
                         'pixel id is not a valid TikTok pixel code')
        self.set_params(pixel_id=GLOBAL_PIXEL, relay_url='javascript:alert(1)')
        self.assertIn('relay URL', tracking_problem(self.website._tiktok_resolved_settings()))

    def test_invalid_website_override_is_refused(self):
        with self.assertRaises(ValidationError):
            self.website.tiktok_pixel_id = 'not a pixel'
        with self.assertRaises(ValidationError):
            self.website.tiktok_relay_url = '//evil.example/relay'

    def test_relay_url_is_the_shop_s_path_or_an_https_sidecar(self):
        for url in ('/tiktok/relay', 'https://relay.example/tiktok/relay', 'HTTPS://relay.example:8443/r',
                    'http://localhost:8787/tiktok/relay', 'http://127.0.0.1:8787/tiktok/relay',
                    'http://[::1]:8787/tiktok/relay', 'http://sidecar.localhost/tiktok/relay'):
            self.assertTrue(is_valid_relay_url(url), url)
        for url in ('http://collector.example/relay', 'http://10.0.0.5/relay', '//evil.example/relay',
                    'https://user:secret@relay.example/relay', 'https://@relay.example/relay',
                    'javascript:alert(1)', 'ftp://relay.example/relay', 'https:///relay', 'relay'):
            self.assertFalse(is_valid_relay_url(url), url)
        with self.assertRaises(ValidationError):
            self.website.tiktok_relay_url = 'http://collector.example/relay'
        self.set_params(relay_url='http://collector.example/relay')
        self.assertIn('relay URL', tracking_problem(self.website._tiktok_resolved_settings()))

    def test_domains_are_origins(self):
        self.website.domain = 'shop.example:8443/'
        self.assertEqual(self.website._tiktok_domains(), ['https://shop.example:8443'])
        self.website.domain = False
        self.env['ir.config_parameter'].sudo().set_param('web.base.url', 'http://LOCALHOST:8069/')
        self.assertEqual(self.website._tiktok_domains(), ['http://localhost:8069'])


@tagged('post_install', '-at_install')
class TestSettingsScreen(TikTokCase):

    def test_settings_save_globals_and_the_website_override(self):
        settings = self.env['res.config.settings'].create({
            'website_id': self.website.id,
            'tiktok_enabled': True,
            'tiktok_pixel_id': ' CSAVED0000000000001 ',
            'tiktok_access_token': 'saved-token',
            'tiktok_purchase_event_name': 'CompletePayment',
            'website_tiktok_pixel_id': WEBSITE_PIXEL,
            'website_tiktok_enabled': 'on',
        })
        settings.execute()
        params = self.env['ir.config_parameter'].sudo()
        self.assertEqual(params.get_param('website_tiktok_events.pixel_id'), 'CSAVED0000000000001')
        self.assertEqual(params.get_param('website_tiktok_events.access_token'), 'saved-token')
        self.assertEqual(params.get_param('website_tiktok_events.purchase_event_name'), 'CompletePayment')
        self.assertEqual(self.website.tiktok_pixel_id, WEBSITE_PIXEL)
        self.assertEqual(self.website.tiktok_enabled, 'on')
        reopened = self.env['res.config.settings'].create({})
        self.assertEqual(reopened.tiktok_pixel_id, 'CSAVED0000000000001')
        self.assertEqual(reopened.tiktok_relay_url, '/tiktok/relay')

    def test_settings_and_website_views_show_the_fields(self):
        settings_arch = self.env['res.config.settings'].get_views([(False, 'form')])['views']['form']['arch']
        for setting in SETTINGS:
            for field in (settings_global_field(setting), settings_website_field(setting)):
                self.assertIn('name="%s"' % field, settings_arch)
        self.assertIn('id="website_tiktok_settings"', settings_arch)
        website_arch = self.env['website'].get_views([(False, 'form')])['views']['form']['arch']
        self.assertIn('name="page_tiktok"', website_arch)
        for setting in SETTINGS:
            self.assertIn('name="%s"' % website_field(setting), website_arch)

    def test_every_setting_has_its_fields_and_readers(self):
        website_fields = self.env['website']._fields
        page_fields = self.env['res.config.settings']._fields
        for setting in SETTINGS:
            override = website_fields[website_field(setting)]
            self.assertEqual(page_fields[settings_global_field(setting)].config_parameter, global_param(setting))
            self.assertEqual(page_fields[settings_website_field(setting)].related, 'website_id.%s' % override.name)
            # A website's own values are administrators' alone, secret or not (designers write websites).
            for field in (override, page_fields[settings_website_field(setting)]):
                self.assertEqual(field.groups, 'base.group_system', field.name)
            self.assertEqual(page_fields[settings_global_field(setting)].groups,
                             'base.group_system' if setting.secret else None)

    def test_purchase_event_id_is_derived_from_the_order(self):
        order = self.env['sale.order'].create({'partner_id': self.env.ref('base.res_partner_2').id})
        self.assertRegex(order._tiktok_purchase_event_id(), r'^purchase-[0-9a-f]{32}$')
        self.assertEqual(order._tiktok_purchase_event_id(), order._tiktok_purchase_event_id())


@tagged('post_install', '-at_install')
class TestSettingsAreAdministrators(TikTokCase):
    """A website designer edits websites (Odoo grants him write on `website`),
    never what the pages and the sidecar trust: every TikTok value of a website,
    the global ones, the settings page."""

    # A value an attacker would like for each setting (text settings valid, so
    # only the access rule can refuse them).
    FORGED = {
        'enabled': 'on', 'pixel_id': 'CATTACKER00000000001', 'access_token': 'attacker-token',
        'test_event_code': 'TEST999', 'relay_url': 'https://collector.example/relay', 'debug': 'on',
        'purchase_event_name': 'CompletePayment', 'submit_form_event_name': 'SubmitForm',
        'purchase_without_payment': 'on', 'test_emails': 'victim@example.com',
        'match_keys': 'contact_name_address', 'content_id_source': 'default_code', 'limited_data_use': 'off',
        'gpc': 'ignore',
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.designer = new_test_user(cls.env, 'tt_settings_designer',
                                     groups='base.group_user,website.group_website_designer')
        cls.restricted_editor = new_test_user(cls.env, 'tt_settings_editor',
                                              groups='base.group_user,website.group_website_restricted_editor')

    def test_the_table_of_forged_values_covers_every_setting(self):
        self.assertEqual(set(self.FORGED), {setting.key for setting in SETTINGS})

    def test_a_designer_writes_the_website_but_none_of_its_tiktok_values(self):
        before = self.website._tiktok_resolved_settings(with_secrets=True)
        as_designer = self.website.with_user(self.designer)
        as_designer.write({'name': 'Renamed by the designer'})  # his job: still allowed
        for setting in SETTINGS:
            with self.subTest(setting=setting.key), self.assertRaises(AccessError):
                as_designer.write({website_field(setting): self.FORGED[setting.key]})
        for setting in DATED_SETTINGS:
            with self.subTest(dated=setting.key), self.assertRaises(AccessError):
                as_designer.write({set_at_field(setting): '2020-01-01 00:00:00'})
        with self.assertRaises(AccessError):
            as_designer.read([website_field(SETTINGS[1])])
        # Nor through a new website.
        with self.assertRaises(AccessError):
            self.env['website'].with_user(self.designer).create(
                {'name': 'Collector', 'tiktok_relay_url': 'https://collector.example/relay'})
        self.assertEqual(self.website._tiktok_resolved_settings(with_secrets=True), before)

    def test_a_designer_reaches_no_global_value(self):
        with self.assertRaises(AccessError):
            self.env['res.config.settings'].with_user(self.designer).create(
                {'tiktok_relay_url': 'https://collector.example/relay'})
        with self.assertRaises(AccessError):
            self.env['ir.config_parameter'].with_user(self.designer).set_param(
                global_param(SETTINGS[1]), 'CATTACKER00000000001')
        self.assertEqual(self.website._tiktok_resolved_settings()['relay_url'], '/tiktok/relay')

    def test_the_website_form_shows_a_designer_no_tiktok_value(self):
        for user in (self.designer, self.restricted_editor):
            arch = self.env['website'].with_user(user).get_views([(False, 'form')])['views']['form']['arch']
            self.assertNotIn('page_tiktok', arch, user.login)
            for setting in SETTINGS:
                self.assertNotIn('name="%s"' % website_field(setting), arch, (user.login, setting.key))
        with Form(self.website.with_user(self.designer)) as form:
            form.name = 'Saved from the form by the designer'
            self.assertNotIn('tiktok_relay_url', form._view['fields'])
        self.assertEqual(self.website.name, 'Saved from the form by the designer')
        self.assertEqual(self.website._tiktok_resolved_settings()['relay_url'], '/tiktok/relay')
        admin_arch = self.env['website'].with_user(self.env.ref('base.user_admin')).get_views(
            [(False, 'form')])['views']['form']['arch']
        self.assertIn('name="tiktok_relay_url"', admin_arch)
