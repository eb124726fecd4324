"""Normalization and SHA-256 hashing of the match keys TikTok accepts.

Pure functions only: the same rules run in the browser bundle and the sidecar
(sidecar/src/contract/normalize.ts and phone.ts), so a person hashed here and in the browser
must produce the same digest. tests/vectors/contract.json holds both sides to
the same cases (tests/test_hashing.py reads it).
"""
import hashlib
import logging
import re

try:
    import phonenumbers
except ImportError:
    phonenumbers = None

_logger = logging.getLogger(__name__)
if phonenumbers is None:
    _logger.warning(
        "TikTok: the Python package 'phonenumbers' is not installed (Debian: python3-phonenumbers). "
        "Phone numbers are hashed with a simplified rule that ignores national dialling plans "
        "(Italian, Russian or North American national numbers then hash differently from the browser).")

_SHA256_HEX = re.compile(r'^[0-9a-f]{64}$')
# The rule without phonenumbers reads ASCII digits only: Python's \d would
# also keep other scripts' digits.
_NON_DIGITS = re.compile(r'\D', re.ASCII)
_EMAIL = re.compile(r'^[^\s@]+@[^\s@]+$')

# What a phone number is written with: digits (of any script: \d is Unicode
# here, \p{Nd} in phone.ts), spaces, + ( ) - . / and an optional extension
# (phonenumbers reads a full-width plus itself; phone.ts replaces it).
# Same pattern as sidecar/src/contract/phone.ts: letters ('tel:', "call me",
# vanity numbers) are read differently by the two libraries, so such a value
# is dropped on both sides.
_WRITTEN_PHONE = re.compile(r'^[+\uFF0B]?[\d\s().\-/]+(?:(?:ext\.?|x)\s*\d+)?$', re.IGNORECASE)

# Without phonenumbers: E.164 allows at most 15 digits after '+'; fewer than
# 8 cannot be a full international number.
_E164_MAX_DIGITS = 15
_E164_MIN_DIGITS = 8

# TikTok's own templates send Chinese numbers without the country code.
_COUNTRY_CODE_SENT_BARE = '86'


def sha256_hex(value):
    return hashlib.sha256(value.encode('utf-8')).hexdigest()


def is_sha256_hex(value):
    """A value that already looks hashed is passed through, never hashed twice."""
    return bool(value) and bool(_SHA256_HEX.match(value.strip().lower()))


def normalize_email(email):
    """Trimmed, lowercased address, or None when it cannot be an e-mail."""
    if not email or not isinstance(email, str):
        return None
    normalized = email.strip().lower()
    return normalized if _EMAIL.match(normalized) else None


def normalize_phone(phone, country_code=None, calling_code=None):
    """E.164 form ('+' country code and digits) of a stored phone number.

    The rule is the browser's (sidecar/src/contract/phone.ts), with Google's
    libphonenumber metadata on both sides, so a person hashes to the same value
    everywhere: each country's trunk prefix is dropped where its plan has one
    (France's 0, Russia's 8, the United States' 1) and kept where numbers start
    with it (Italy's 06). ``country_code`` (ISO 3166-1 alpha-2, from
    ``res.country.code``) reads a number written without its country code;
    without it only international numbers ('+...', '00...') are read.
    Numbers of country code 86 are returned without it, as TikTok expects.
    Returns None when no E.164 number can be built.

    Without the ``phonenumbers`` package the former rule is used, which only
    knows ``calling_code`` (``res.country.phone_code``) and drops every
    leading 0 (see _normalize_phone_without_metadata).
    """
    if not phone or not isinstance(phone, str):
        return None
    if phonenumbers is None:
        return _normalize_phone_without_metadata(phone, calling_code)
    return _normalize_phone_with_metadata(phone, country_code)


def _phone_region(country_code):
    """'be', ' BE ' -> 'BE'; None for what the metadata does not know as a country."""
    region = country_code.strip().upper() if isinstance(country_code, str) else ''
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def _normalize_phone_with_metadata(phone, country_code):
    text = phone.strip()
    if not _WRITTEN_PHONE.match(text):
        return None
    region = _phone_region(country_code)
    # Without a country the metadata cannot tell that "00" dials abroad: read
    # it as '+', the international prefix of most of the world.
    if not region and text.startswith('00'):
        text = '+' + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # Lengths only, as in the browser: "valid number" ranges change with every
    # metadata release and the two sides do not ship the same one; and a
    # "local only" length (a US number without its area code) is no E.164.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    if str(number.country_code) == _COUNTRY_CODE_SENT_BARE:
        return phonenumbers.national_significant_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalize_phone_without_metadata(phone, calling_code):
    """The rule used before libphonenumber: '+', calling code, digits, no leading 0.

    Wrong for plans whose numbers start with 0 (Italy) or whose trunk prefix is
    not 0 (Russia's 8, the United States' 1); kept only for servers without
    ``phonenumbers``, where it still reads most international numbers right.
    """
    # "+32 (0)470 ..." writes the trunk 0 in parentheses after the country code.
    raw = phone.strip().replace('(0)', '')
    is_international = raw.startswith('+') or raw.startswith('00')
    digits = _NON_DIGITS.sub('', raw)
    if raw.startswith('00'):
        digits = digits[2:]
    if is_international:
        e164 = digits
    else:
        calling_code = _NON_DIGITS.sub('', str(calling_code or ''))
        if calling_code:
            e164 = calling_code + digits.lstrip('0')
        elif digits.startswith('0'):
            return None  # a national number of an unknown country
        else:
            e164 = digits
    if not (_E164_MIN_DIGITS <= len(e164) <= _E164_MAX_DIGITS) or e164.startswith('0'):
        return None
    if e164.startswith(_COUNTRY_CODE_SENT_BARE):
        return e164[len(_COUNTRY_CODE_SENT_BARE):]
    return '+' + e164


def hash_email(email):
    if is_sha256_hex(email or ''):
        return email.strip().lower()
    normalized = normalize_email(email)
    return sha256_hex(normalized) if normalized else None


def hash_phone(phone, country_code=None, calling_code=None):
    if is_sha256_hex(phone or ''):
        return phone.strip().lower()
    normalized = normalize_phone(phone, country_code, calling_code)
    return sha256_hex(normalized) if normalized else None


def keyed_external_id(value):
    """An external_id as it is sent: the keyed value Odoo computed for a
    partner (res.partner._tiktok_external_id, an HMAC with the database
    secret), lower-cased; None for anything else. Never a hash of an id made
    here: partner ids are small sequential numbers, so an unkeyed hash of one
    is reversed by enumeration, and anybody could forge a customer's."""
    if not isinstance(value, str) or not is_sha256_hex(value):
        return None
    return value.strip().lower()


def normalize_name(value):
    """Trimmed, lower-cased, runs of spaces as one (names and postal codes), or None."""
    if not value or not isinstance(value, str):
        return None
    return ' '.join(value.lower().split()) or None


normalize_zip_code = normalize_name


def split_full_name(full_name):
    """(first_name, last_name) of a name held in one field, normalized.

    The first word is the first name, the other words the last name (the rule
    of sidecar/src/contract/normalize.ts, which the browser applies to forms).
    """
    words = (normalize_name(full_name) or '').split(' ')
    return (words[0] or None), (' '.join(words[1:]) or None)


def normalize_place(value):
    """City, state or country as TikTok takes them, plain: lower-cased letters
    and digits of any script (JavaScript's \\p{L} and \\p{N}), nothing else."""
    if not value or not isinstance(value, str):
        return None
    return ''.join(char for char in value.lower() if char.isalpha() or char.isnumeric()) or None


def _hash_normalized(value, normalize):
    if is_sha256_hex(value if isinstance(value, str) else ''):
        return value.strip().lower()
    normalized = normalize(value)
    return sha256_hex(normalized) if normalized else None


def name_address_keys(full_name=None, zip_code=None, city=None, state=None, country=None):
    """The richer match keys of one person: names and postal code hashed,
    city, state and country normalized and plain. Empty ones are omitted."""
    first_name, last_name = split_full_name(full_name)
    keys = {
        'first_name': sha256_hex(first_name) if first_name else None,
        'last_name': sha256_hex(last_name) if last_name else None,
        'zip_code': _hash_normalized(zip_code, normalize_zip_code),
        'city': normalize_place(city),
        'state': normalize_place(state),
        'country': normalize_place(country),
    }
    return {key: value for key, value in keys.items() if value}


def identify_payload(email=None, phone=None, country=None, external_id=None):
    """Hashed keys for ``ttq.identify``; keys without a usable value are omitted.

    ``country``: the partner's ``res.country`` (or None), whose code reads a
    national phone number (its calling code without ``phonenumbers``).
    ``external_id``: the partner's keyed id (res.partner._tiktok_external_id).
    """
    payload = {
        'email': hash_email(email),
        'phone_number': hash_phone(phone, country and country.code, country and country.phone_code),
        'external_id': keyed_external_id(external_id),
    }
    return {key: value for key, value in payload.items() if value}
