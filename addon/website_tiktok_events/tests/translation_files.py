import re

from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader

PLACEHOLDER = re.compile(r'%\(\w+\)s|%s')


class TranslationFilesChecks:
    """The checks of a module's i18n files, for the test case of each module
    of the product (set ``MODULE``): its template is what Odoo exports today,
    and its French translation is complete."""

    MODULE = None
    # Odoo runs only the test methods a test class defines itself, unless told.
    allow_inherited_tests_method = True

    def po_entries(self, name):
        import polib  # noqa: PLC0415 - Debian's python3-polib, an Odoo requirement
        return polib.pofile(file_path('%s/i18n/%s' % (self.MODULE, name)))

    def test_the_template_holds_every_term_of_the_module(self):
        """i18n/<module>.pot is what Odoo exports today (regenerate it when this fails)."""
        exported = {source for module, _type, _name, _res_id, source, _value, _comments
                    in TranslationModuleReader(self.env.cr, [self.MODULE]) if module == self.MODULE}
        self.assertEqual({entry.msgid for entry in self.po_entries('%s.pot' % self.MODULE)}, exported)

    def test_french_is_complete(self):
        french = self.po_entries('fr.po')
        template = self.po_entries('%s.pot' % self.MODULE)
        self.assertEqual({entry.msgid for entry in french}, {entry.msgid for entry in template})
        for entry in french:
            self.assertTrue(entry.msgstr, entry.msgid)
            self.assertEqual(sorted(PLACEHOLDER.findall(entry.msgstr)), sorted(PLACEHOLDER.findall(entry.msgid)),
                             entry.msgid)
