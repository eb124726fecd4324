import os
import re

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

MODULE = 'website_tiktok_events_pos'
I18N = os.path.join(os.path.dirname(__file__), '..', 'i18n')
PLACEHOLDER = re.compile(r'%\(\w+\)s|%s')


def po_entries(name):
    import polib  # noqa: PLC0415 - Debian's python3-polib, an Odoo requirement
    return polib.pofile(os.path.join(I18N, name))


@tagged('post_install', '-at_install')
class TestPosTranslations(TransactionCase):

    def test_the_template_holds_every_term_of_the_module(self):
        """i18n/website_tiktok_events_pos.pot is what Odoo exports today (regenerate it when this fails)."""
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

    def test_a_merchant_reads_why_an_anonymous_sale_was_not_sent_in_french(self):
        self.env['res.lang']._activate_lang('fr_FR')
        self.env['ir.module.module']._load_module_terms([MODULE], ['fr_FR'], overwrite=True)
        reasons = dict(self.env['tiktok.source.event'].with_context(lang='fr_FR')
                       .fields_get(['skip_reason'])['skip_reason']['selection'])
        self.assertEqual(reasons['anonymous'], 'Une vente anonyme (sans client, ou un client sans e-mail ni téléphone)')
