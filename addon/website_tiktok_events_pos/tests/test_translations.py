from odoo.tests import TransactionCase, tagged

from odoo.addons.website_tiktok_events.tests.translation_files import TranslationFilesChecks


@tagged('post_install', '-at_install')
class TestPosTranslations(TranslationFilesChecks, TransactionCase):

    MODULE = 'website_tiktok_events_pos'

    def test_a_merchant_reads_why_an_anonymous_sale_was_not_sent_in_french(self):
        self.env['res.lang']._activate_lang('fr_FR')
        self.env['ir.module.module']._load_module_terms([self.MODULE], ['fr_FR'], overwrite=True)
        reasons = dict(self.env['tiktok.source.event'].with_context(lang='fr_FR')
                       .fields_get(['skip_reason'])['skip_reason']['selection'])
        self.assertEqual(reasons['anonymous'], 'Une vente anonyme (sans client, ou un client sans e-mail ni téléphone)')
