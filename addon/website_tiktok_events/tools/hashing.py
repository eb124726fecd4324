"""Normalization and SHA-256 hashing of the match keys TikTok accepts.

Pure functions only: the same rules run in the browser bundle and the sidecar
(sidecar/src/tiktok/normalize.ts), so a person hashed here and in the browser
must produce the same digest. tests/vectors/contract.json holds both sides to
the same cases (tests/test_hashing.py reads it).
"""
import hashlib
import re

_SHA256_HEX = re.compile(r'^[0-9a-f]{64}$')
# ASCII digits only, as in JavaScript: Python's \d would also keep other
# scripts' digits (a full-width ９) and hash a number the browser drops.
_NON_DIGITS = re.compile(r'\D', re.ASCII)
_EMAIL = re.compile(r'^[^\s@]+@[^\s@]+$')

# E.164 allows at most 15 digits after '+'; fewer than 8 cannot be a full
# international number (same bounds as sidecar/src/tiktok/normalize.ts).
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


def normalize_phone(phone, country_calling_code=None):
    """E.164 form ('+' country code and digits) of a stored phone number.

    The rules mirror sidecar/src/tiktok/normalize.ts (used by the browser
    bundle too), so a person hashes to the same value on every side.
    ``country_calling_code`` (e.g. 33 or '33', from ``res.country.phone_code``)
    completes a national number; its leading trunk '0' is dropped. Numbers of
    country code 86 are returned without the country code, as TikTok expects.
    Returns None when no valid E.164 number can be built.
    """
    if not phone or not isinstance(phone, str):
        return None
    # "+32 (0)470 ..." writes the trunk 0 in parentheses after the country code.
    raw = phone.strip().replace('(0)', '')
    is_international = raw.startswith('+') or raw.startswith('00')
    digits = _NON_DIGITS.sub('', raw)
    if raw.startswith('00'):
        digits = digits[2:]
    if is_international:
        e164 = digits
    else:
        calling_code = _NON_DIGITS.sub('', str(country_calling_code or ''))
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


def hash_phone(phone, country_calling_code=None):
    if is_sha256_hex(phone or ''):
        return phone.strip().lower()
    normalized = normalize_phone(phone, country_calling_code)
    return sha256_hex(normalized) if normalized else None


def hash_external_id(value):
    """external_id rule shared with the browser: SHA-256 of the trimmed id string."""
    if value is None or value is False:
        return None
    text = str(value).strip()
    if is_sha256_hex(text):
        return text.lower()
    return sha256_hex(text) if text else None


def normalize_name(value):
    """Trimmed, lower-cased, runs of spaces as one (names and postal codes), or None."""
    if not value or not isinstance(value, str):
        return None
    return ' '.join(value.lower().split()) or None


normalize_zip_code = normalize_name


def split_full_name(full_name):
    """(first_name, last_name) of a name held in one field, normalized.

    The first word is the first name, the other words the last name (the rule
    of sidecar/src/tiktok/normalize.ts, which the browser applies to forms).
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


def identify_payload(email=None, phone=None, country_calling_code=None, external_id=None):
    """Hashed keys for ``ttq.identify``; keys without a usable value are omitted."""
    payload = {
        'email': hash_email(email),
        'phone_number': hash_phone(phone, country_calling_code),
        'external_id': hash_external_id(external_id),
    }
    return {key: value for key, value in payload.items() if value}
