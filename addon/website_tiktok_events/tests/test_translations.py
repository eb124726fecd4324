import os
import re

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

MODULE = 'website_tiktok_events'
I18N = os.path.join(os.path.dirname(__file__), '..', 'i18n')
PLACEHOLDER = re.compile(r'%\(\w+\)s|%s')


def po_entries(name):
    import polib  # noqa: PLC0415 - Debian's python3-polib, an Odoo requirement
    return polib.pofile(os.path.join(I18N, name))


@tagged('post_install', '-at_install')
class TestTranslations(TransactionCase):

    def test_the_template_holds_every_term_of_the_module(self):
        """i18n/website_tiktok_events.pot is what Odoo exports today (regenerate it when this fails)."""
        exported = {source for module, _type, _name, _res_id, source, _value, _comments
                    in TranslationModuleReader(self.env.cr, [MODULE]) if module == MODULE}
        self.assertEqual({entry.msgid for entry in po_entries('%s.pot' % MODULE)}, exported)

    def test_french_is_complete(self):
        french = po_entries('fr.po')
        self.assertEqual({entry.msgid for entry in french}, {entry.msgid for entry in po_entries('%s.pot' % MODULE)})
        for entry in french:
            self.assertTrue(entry.msgstr, entry.msgid)
            self.assertEqual(sorted(PLACEHOLDER.findall(entry.msgstr)), sorted(PLACEHOLDER.findall(entry.msgid)),
                             entry.msgid)

    def test_a_merchant_reads_the_control_room_in_french(self):
        self.env['res.lang']._activate_lang('fr_FR')
        self.env['ir.module.module']._load_module_terms([MODULE], ['fr_FR'], overwrite=True)
        report = self.env['tiktok.sidecar.report'].with_context(lang='fr_FR')
        sentence = report._lane_sentence({'pixel_id': 'C4A1B2C3D4E5F6G7H8I9', 'reason': 'token_refused',
                                          'code': 40105, 'message': 'revoked'})
        self.assertEqual(sentence, "TikTok refuse le jeton d'accès du pixel C4A1B2C3D4E5F6G7H8I9 "
                                   '(code 40105 : revoked). Collez un nouveau jeton de TikTok Events Manager '
                                   'dans les paramètres : les événements en attente partent en quelques secondes.')
        labels = self.env['tiktok.dead.letter'].with_context(lang='fr_FR').fields_get(['dead_at', 'message'])
        self.assertEqual((labels['dead_at']['string'], labels['message']['string']), ('Refusé le', 'Message de TikTok'))
