from odoo.tests import TransactionCase, tagged

from odoo.addons.website_tiktok_events.tests.translation_files import TranslationFilesChecks


@tagged('post_install', '-at_install')
class TestCrmTranslations(TranslationFilesChecks, TransactionCase):

    MODULE = 'website_tiktok_events_crm'
