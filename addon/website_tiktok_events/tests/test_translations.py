from odoo.tests import TransactionCase, tagged

from odoo.addons.website_tiktok_events.tests.translation_files import TranslationFilesChecks


@tagged('post_install', '-at_install')
class TestTranslations(TranslationFilesChecks, TransactionCase):

    MODULE = 'website_tiktok_events'

    def test_a_merchant_reads_the_control_room_in_french(self):
        self.env['res.lang']._activate_lang('fr_FR')
        self.env['ir.module.module']._load_module_terms([self.MODULE], ['fr_FR'], overwrite=True)
        report = self.env['tiktok.sidecar.report'].with_context(lang='fr_FR')
        sentence = report._lane_sentence({'pixel_id': 'C4A1B2C3D4E5F6G7H8I9', 'reason': 'token_refused',
                                          'code': 40105, 'message': 'revoked'})
        self.assertEqual(sentence, "TikTok refuse le jeton d'accès du pixel C4A1B2C3D4E5F6G7H8I9 "
                                   '(code 40105 : revoked). Collez un nouveau jeton de TikTok Events Manager '
                                   'dans les paramètres : les événements en attente partent en quelques secondes.')
        labels = self.env['tiktok.dead.letter'].with_context(lang='fr_FR').fields_get(['dead_at', 'message'])
        self.assertEqual((labels['dead_at']['string'], labels['message']['string']), ('Refusé le', 'Message de TikTok'))
