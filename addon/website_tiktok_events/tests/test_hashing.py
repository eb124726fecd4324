import importlib
import json
import re
import sys
import time
import unittest
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

from odoo.tests import BaseCase, TransactionCase, tagged

from odoo.addons.website_tiktok_events.tools import contact_data, hashing
from odoo.addons.website_tiktok_events.tools.contents import content_id, order_line_content
from odoo.addons.website_tiktok_events.tools.settings_resolution import (
    PIXEL_ID, is_valid_pixel_id, normalize_pixel_id,
)

# The cases the module, the browser bundle and the sidecar are all held to
# live in the repository, next to the other parts:
# addon/website_tiktok_events/tests/ -> repository root -> tests/vectors/.
VECTORS_PATH = Path(__file__).resolve().parents[3] / 'tests' / 'vectors' / 'contract.json'
VECTORS = json.loads(VECTORS_PATH.read_text(encoding='utf-8')) if VECTORS_PATH.is_file() else None
SKIP_WITHOUT_VECTORS = (
    'the shared test vectors (%s) are not there: the module is installed without its repository' % VECTORS_PATH
)
SKIP_WITHOUT_PHONENUMBERS = "the Python package 'phonenumbers' is not installed: phones use the fallback rule"

# Expected digests were produced outside Python, with coreutils:
#   printf %s 'john@example.com' | sha256sum
SHA256_JOHN_EMAIL = '855f96e983f1f8e8be944692b6f719fd54329826cb62e98015efee8e2e071dd4'
SHA256_PHONE_FR = '42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8'  # +33612345678
# The keyed external_id of partner 42 under the vectors' first database secret.
KEYED_ID_42 = '060e09443f9b197da3098860c955a6a0e8592b79a513f022c70d831fd39057cf'


@tagged('post_install', '-at_install')
@unittest.skipIf(VECTORS is None, SKIP_WITHOUT_VECTORS)
class TestSharedVectors(BaseCase):
    """tests/vectors/contract.json, case by case: the TypeScript suites read the same file."""

    def test_emails(self):
        for case in VECTORS['email']:
            with self.subTest(raw=case['raw']):
                self.assertEqual(hashing.normalize_email(case['raw']), case['normalized'])
                self.assertEqual(hashing.hash_email(case['raw']), case['sha256'])

    @unittest.skipIf(hashing.phonenumbers is None, SKIP_WITHOUT_PHONENUMBERS)
    def test_phones(self):
        for case in VECTORS['phone']:
            with self.subTest(raw=case['raw'], country=case['country']):
                self.assertEqual(hashing.normalize_phone(case['raw'], case['country']), case['e164'])
                self.assertEqual(hashing.hash_phone(case['raw'], case['country']), case['sha256'])

    def test_external_ids_are_passed_on_never_hashed(self):
        for case in VECTORS['external_id']['passed_on']:
            with self.subTest(raw=case['raw']):
                self.assertEqual(hashing.keyed_external_id(case['raw']), case['external_id'])

    def test_already_hashed_values_pass_through(self):
        hash_of = {
            'email': hashing.hash_email,
            'phone': hashing.hash_phone,
            'external_id': hashing.keyed_external_id,
        }
        for case in VECTORS['already_hashed']:
            with self.subTest(key=case['key'], raw=case['raw']):
                self.assertEqual(hash_of[case['key']](case['raw']), case['sha256'])

    def test_person_names(self):
        for case in VECTORS['person_name']:
            with self.subTest(raw=case['raw']):
                self.assertEqual(hashing.split_full_name(case['raw']), (case['first_name'], case['last_name']))
                keys = hashing.name_address_keys(full_name=case['raw'])
                self.assertEqual(keys.get('first_name'), case['first_name_sha256'])
                self.assertEqual(keys.get('last_name'), case['last_name_sha256'])

    def test_zip_codes(self):
        for case in VECTORS['zip_code']:
            with self.subTest(raw=case['raw']):
                self.assertEqual(hashing.normalize_zip_code(case['raw']), case['normalized'])
                self.assertEqual(hashing.name_address_keys(zip_code=case['raw']).get('zip_code'), case['sha256'])

    def test_places_are_normalized_never_hashed(self):
        for case in VECTORS['place']:
            with self.subTest(raw=case['raw']):
                self.assertEqual(hashing.normalize_place(case['raw']), case['normalized'])
                keys = hashing.name_address_keys(city=case['raw'], state=case['raw'], country=case['raw'])
                places = ('city', 'state', 'country')
                self.assertEqual(keys, {key: case['normalized'] for key in places} if case['normalized'] else {})

    def test_partner_identify_at_each_level(self):
        vector = VECTORS['partner_identify']
        partner = vector['partner']
        country = SimpleNamespace(code=partner['country_code'], phone_code=None)  # a res.country's two fields
        contact = hashing.identify_payload(email=partner['email'], phone=partner['phone'], country=country,
                                           external_id=KEYED_ID_42)
        self.assertEqual(contact, vector['contact'])
        richer = hashing.name_address_keys(full_name=partner['name'], zip_code=partner['zip'], city=partner['city'],
                                           state=partner['state_code'], country=partner['country_code'])
        self.assertEqual({**contact, **richer}, vector['contact_name_address'])

    def test_free_text_is_scrubbed_as_the_sidecar_scrubs_it(self):
        for case in VECTORS['scrub']['free_text']:
            with self.subTest(case.get('note') or case['raw']):
                self.assertEqual(contact_data.redact_contact_data(case['raw']), case['scrubbed'])

    def test_free_text_scrub_takes_linear_time(self):
        units = ('@', 'a@', '"', '&#64;', '&amp;', '%25', '%40', '1 ', '1-', '+1', '\u200b', '\uff20', 'a.', '@a.',
                 '\ufdfa')  # the last one is 18 characters once folded
        started = time.monotonic()
        for unit in units:
            text = unit * (100 * 1024 // len(unit))
            contact_data.redact_contact_data(text)
            contact_data.redact_contact_data('a' * 1000 + text + '@b.cc')
        # Linear work is a few seconds at most; one quadratic pattern would take hours here.
        self.assertLess(time.monotonic() - started, 60)

    def test_pixel_id_pattern_is_the_shared_one(self):
        self.assertEqual(PIXEL_ID.pattern, VECTORS['pixel_id']['pattern'])
        self.assertFalse(PIXEL_ID.flags & re.IGNORECASE, 'upper case only: what is typed is upper-cased first')

    def test_pixel_ids(self):
        rule = VECTORS['pixel_id']
        for value in rule['valid']:
            with self.subTest(valid=value):
                self.assertTrue(is_valid_pixel_id(value))
        for value in rule['invalid']:
            with self.subTest(invalid=value):
                self.assertFalse(is_valid_pixel_id(value))
        for case in rule['typed']:
            with self.subTest(typed=case['raw']):
                typed = normalize_pixel_id(case['raw'])
                self.assertEqual(typed if is_valid_pixel_id(typed) else None, case['canonical'])

    def test_content_ids(self):
        for case in VECTORS['content_id']:
            with self.subTest(case=case):
                self.assertEqual(content_id(case['product_id'], case['default_code'], case['source']),
                                 case['content_id'])
                line = order_line_content(case['product_id'], 'Desk', 'Desk', 1.0, 1.0, case['default_code'],
                                          case['source'])
                self.assertEqual(line['content_id'], case['content_id'])

    def test_order_lines_as_contents(self):
        for case in VECTORS['contents']['order_lines']:
            with self.subTest(line=case['line']):
                self.assertEqual(order_line_content(**case['line']), case['content'])

    def test_page_config_purchase_carries_the_order_lines_contents(self):
        contents = VECTORS['contents']
        self.assertEqual(
            [order_line_content(**case['line']) for case in contents['order_lines']],
            contents['page_config']['purchase']['contents'],
        )


@tagged('post_install', '-at_install')
class TestHashing(BaseCase):
    """What the shared vectors cannot say: Odoo's own values (None, False, integers)."""

    def test_unusable_values_give_nothing(self):
        for value in (None, False):
            self.assertIsNone(hashing.hash_email(value), value)
            self.assertIsNone(hashing.hash_phone(value, 'FR', 33), value)
            self.assertIsNone(hashing.keyed_external_id(value), value)
            self.assertEqual(hashing.name_address_keys(value, value, value, value, value), {}, value)

    def test_an_already_hashed_zip_code_passes_through(self):
        digest = VECTORS and VECTORS['zip_code'][0]['sha256'] or 'a' * 64
        self.assertEqual(hashing.name_address_keys(zip_code=' %s ' % digest.upper()), {'zip_code': digest})

    def test_identify_payload_omits_missing_keys(self):
        france = SimpleNamespace(code='FR', phone_code=33)  # a res.country's two fields
        self.assertEqual(
            hashing.identify_payload(email='John@Example.com', phone='0612345678', country=france,
                                     external_id=KEYED_ID_42.upper()),
            {'email': SHA256_JOHN_EMAIL, 'phone_number': SHA256_PHONE_FR, 'external_id': KEYED_ID_42},
        )
        # A plain id is never hashed here (anybody could compute, or reverse, an unkeyed hash of it).
        self.assertEqual(hashing.identify_payload(external_id=42), {})
        self.assertEqual(hashing.identify_payload(external_id='42'), {})
        self.assertEqual(hashing.identify_payload(), {})

    @unittest.skipIf(hashing.phonenumbers is None, SKIP_WITHOUT_PHONENUMBERS)
    def test_a_country_without_code_reads_no_national_number(self):
        # Odoo gives False for an empty field; the calling code alone does not
        # say which plan (+1 is 25 countries) and is only for the fallback.
        self.assertIsNone(hashing.normalize_phone('06 1234 5678', False, 39))
        no_code = SimpleNamespace(code=False, phone_code=33)
        self.assertNotIn('phone_number', hashing.identify_payload(phone='0612345678', country=no_code))


@tagged('post_install', '-at_install')
class TestPhonesWithoutPhonenumbers(BaseCase):
    """A server without the 'phonenumbers' package: one warning, and the former rule."""

    def _reload_hashing(self):
        importlib.reload(hashing)

    def test_a_missing_package_is_said_once_in_the_log(self):
        self.addCleanup(self._reload_hashing)  # with the real package again
        with patch.dict(sys.modules, {'phonenumbers': None}):  # import fails
            with self.assertLogs(hashing.__name__, 'WARNING') as logs:
                self._reload_hashing()
            self.assertIsNone(hashing.phonenumbers)
            self.assertEqual(len(logs.records), 1)
            self.assertIn('python3-phonenumbers', logs.output[0])

    def test_the_former_rule_reads_the_calling_code(self):
        # (raw, country code, calling code) -> E.164 of the former rule, known limits included.
        cases = [
            ('+32 470 12 34 56', None, None, '+32470123456'),
            ('0032 470/12.34.56', None, None, '+32470123456'),
            ('+32 (0)470 12 34 56', None, None, '+32470123456'),
            ('0470 12 34 56', 'BE', 32, '+32470123456'),
            ('0470 12 34 56', 'BE', None, None),  # a country code alone is not enough here
            ('06 12 34 56 78', 'FR', '33', '+33612345678'),
            ('138-0013-8000', 'CN', 86, '13800138000'),
            ('06 1234 5678', 'IT', 39, '+39612345678'),  # Italy's 0 is lost: the reason for phonenumbers
            ('---', 'FR', 33, None),
        ]
        with patch.object(hashing, 'phonenumbers', None):
            for raw, country_code, calling_code, e164 in cases:
                with self.subTest(raw=raw, calling_code=calling_code):
                    self.assertEqual(hashing.normalize_phone(raw, country_code, calling_code), e164)


@tagged('post_install', '-at_install')
class TestKeyedExternalId(TransactionCase):
    """external_id is Odoo's HMAC of the partner id with the database secret (tests/vectors/contract.json)."""

    def test_the_vectors(self):
        params = self.env['ir.config_parameter'].sudo()
        for case in VECTORS['external_id']['keyed']:
            with self.subTest(case=case):
                params.set_param('database.secret', case['secret'])
                self.assertEqual(self.env['res.partner'].browse(case['partner_id'])._tiktok_external_id(),
                                 case['external_id'])

    def test_nobody_computes_it_from_the_id_alone(self):
        partner = self.env['res.partner'].create({'name': 'Keyed'})
        keyed = partner._tiktok_external_id()
        self.assertRegex(keyed, r'^[0-9a-f]{64}$')
        self.assertNotEqual(keyed, hashing.sha256_hex(str(partner.id)))
        self.assertNotEqual(keyed, self.env['res.partner'].browse(partner.id + 1)._tiktok_external_id())
        # Its own scope: never an event id's HMAC of the same record.
        from odoo.tools.misc import hmac
        event_scope = hmac(self.env(su=True), 'website_tiktok_events.event_id', ('res.partner', partner.id))
        self.assertNotEqual(keyed, event_scope)
