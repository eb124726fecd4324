from odoo.tests import BaseCase, tagged

from odoo.addons.website_tiktok_events.tools import hashing

# The normalization cases mirror sidecar/src/tiktok/normalize.ts (browser and
# sidecar); 29 shared cases were compared one to one.
# Expected digests were produced outside Python, with coreutils and Node.js:
#   printf %s 'john@example.com' | sha256sum
#   node -e "console.log(require('crypto').createHash('sha256').update('42').digest('hex'))"
SHA256_JOHN_EMAIL = '855f96e983f1f8e8be944692b6f719fd54329826cb62e98015efee8e2e071dd4'
SHA256_JOHN_DOE_EMAIL = '836f82db99121b3481011f16b49dfa5fbc714a0d1b1b9f784a1ebbbf5b39577f'
SHA256_PHONE_US = '8a59780bb8cd2ba022bfa5ba2ea3b6e07af17a7d8b30c1f9b3390e36f69019e4'  # +15551234567
SHA256_PHONE_FR = '42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8'  # +33612345678
SHA256_PHONE_UK = 'f0bf0228144d9fe2bdf1da2d8ca698f17bf1410ee688b075c27062e47b6f0b6d'  # +442079460958
SHA256_PHONE_CN = 'a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc'  # 13800138000
SHA256_ID_42 = '73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049'


@tagged('post_install', '-at_install')
class TestHashing(BaseCase):

    def test_email_is_trimmed_and_lowercased_before_hashing(self):
        self.assertEqual(hashing.hash_email('john@example.com'), SHA256_JOHN_EMAIL)
        self.assertEqual(hashing.hash_email('  John@EXAMPLE.com \n'), SHA256_JOHN_EMAIL)
        self.assertEqual(hashing.hash_email('john.doe@example.com'), SHA256_JOHN_DOE_EMAIL)

    def test_unusable_email_gives_nothing(self):
        for value in (None, False, '', '   ', 'not-an-email', '@example.com', 'john@', 'jo hn@example.com',
                      'john@ex@ample.com'):
            self.assertIsNone(hashing.hash_email(value), value)

    def test_already_hashed_values_pass_through(self):
        self.assertEqual(hashing.hash_email(SHA256_JOHN_EMAIL.upper()), SHA256_JOHN_EMAIL)
        self.assertEqual(hashing.hash_phone(SHA256_PHONE_FR), SHA256_PHONE_FR)

    def test_phone_normalization_to_e164(self):
        cases = [
            ('+1 (555) 123-4567', None, '+15551234567'),
            ('+1 (555) 123-4567', 33, '+15551234567'),   # an explicit code wins over the country
            ('06 12 34 56 78', 33, '+33612345678'),      # national: trunk 0 dropped, code added
            ('06.12.34.56.78', '33', '+33612345678'),
            ('0044 20 7946 0958', None, '+442079460958'),  # 00 international prefix
            ('020 7946 0958', 44, '+442079460958'),
            ('+86 138 0013 8000', None, '13800138000'),  # China: sent without its code
            ('138-0013-8000', 86, '13800138000'),
            ('+32 (0)470 12 34 56', None, '+32470123456'),  # trunk 0 written in parentheses
            ('15551234567', None, '+15551234567'),  # digits only: already international
        ]
        for phone, code, expected in cases:
            self.assertEqual(hashing.normalize_phone(phone, code), expected, (phone, code))

    def test_phone_that_cannot_be_e164_gives_nothing(self):
        for phone, code in [
            ('555 1234', None),          # too short to be international
            ('0612345678', None),        # national number (trunk 0), country unknown
            ('+0123456789', None),       # no country code starts with 0
            ('12345', 1),                # too short
            ('+1234567890123456', None),  # more than 15 digits
            ('', 33), (None, 33), ('---', 33),
        ]:
            self.assertIsNone(hashing.normalize_phone(phone, code), (phone, code))
            self.assertIsNone(hashing.hash_phone(phone, code), (phone, code))

    def test_phone_hashes(self):
        self.assertEqual(hashing.hash_phone('+1 555 123 4567'), SHA256_PHONE_US)
        self.assertEqual(hashing.hash_phone('06 12 34 56 78', 33), SHA256_PHONE_FR)
        self.assertEqual(hashing.hash_phone('020 7946 0958', 44), SHA256_PHONE_UK)
        self.assertEqual(hashing.hash_phone('+86 13800138000'), SHA256_PHONE_CN)

    def test_external_id_is_the_trimmed_id_string(self):
        self.assertEqual(hashing.hash_external_id(42), SHA256_ID_42)
        self.assertEqual(hashing.hash_external_id(' 42 '), SHA256_ID_42)
        self.assertIsNone(hashing.hash_external_id(None))
        self.assertIsNone(hashing.hash_external_id(''))

    def test_identify_payload_omits_missing_keys(self):
        self.assertEqual(
            hashing.identify_payload(email='John@Example.com', phone='0612345678', country_calling_code=33,
                                     external_id=42),
            {'email': SHA256_JOHN_EMAIL, 'phone_number': SHA256_PHONE_FR, 'external_id': SHA256_ID_42},
        )
        self.assertEqual(hashing.identify_payload(external_id=42), {'external_id': SHA256_ID_42})
        self.assertEqual(hashing.identify_payload(), {})
