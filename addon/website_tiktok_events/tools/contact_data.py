"""Contact data in free text, found however it is written.

The rule of the sidecar (sidecar/src/tiktok/contactData.ts, scrubFreeText),
which redacts every text it sends; the module applies it to what a sidecar
reports (TikTok's messages) before storing it. tests/vectors/contract.json
(scrub.free_text) holds both sides to the same cases. Pure functions only.

A text is read as a person would read it before it is looked at: HTML
character references decoded (as a browser decodes them), URL escapes
decoded, compatibility characters folded (full-width '＠' and digits),
invisible characters removed, every dash a hyphen, quoted local parts
unquoted. Every pattern is bounded, so a hostile text costs linear time.
"""
import html
import re
import unicodedata
from urllib.parse import unquote

REDACTED = '[redacted]'

# '&amp;#64;' and '%2540' hide a character one level deeper; three levels is already absurd.
_MAX_DECODE_ROUNDS = 3
_URL_ESCAPES = re.compile(r'(?:%[0-9a-fA-F]{2})+')
_ASCII_ESCAPE = re.compile(r'%([0-7][0-9a-fA-F])')
# The ideographic and half-width full stops, which IDNA reads as a domain's dots.
_IDEOGRAPHIC_DOTS = re.compile('[\u3002\uff61]')
_QUOTED_LOCAL_PART = re.compile(r'"([^"@\n]{1,64})"@')
_SPACE = re.compile(r'\s')
# An address: at most 64 characters of local part, its domain up to a
# top-level domain of letters of any script, or IDNA's 'xn--' form.
_EMAIL = re.compile(
    r'''[^\s@<>()\[\]"',;:]{1,64}@[^\s@<>()\[\]"',;:%]{1,253}\.(?:xn--[a-z0-9-]{1,59}|[^\W\d_]{2,63})''',
    re.IGNORECASE)
# Seven digits or more (of any script: \d is Unicode here), led by '+' or a
# word boundary, split by the separators people type in phone numbers.
_PHONE = re.compile(r'(?:\+|\b)\d(?:[\s.\-/()]{0,3}\d){6,}')


def _decode_url_escapes(match):
    run = match.group()
    try:
        return unquote(run, errors='strict')
    except UnicodeDecodeError:
        # Not UTF-8 as a whole: its ASCII escapes still mean what they say.
        return _ASCII_ESCAPE.sub(lambda escape: chr(int(escape.group(1), 16)), run)


class _ByCategory(dict):
    """A str.translate table of the characters of some Unicode categories,
    filled as characters are met: a lookup costs one category test per
    character ever seen, then a dict hit."""

    def __init__(self, categories, replacement, extra=()):
        super().__init__({ord(char): replacement for char in extra})
        self._categories = categories
        self._replacement = replacement

    def __missing__(self, code_point):
        char = chr(code_point)
        self[code_point] = self._replacement if unicodedata.category(char) in self._categories else char
        return self[code_point]


# Zero-width spaces and joiners, soft hyphens, direction marks: the format characters (Cf).
_INVISIBLE = _ByCategory({'Cf'}, None)
# Every dash, and the minus sign, as typed between a phone number's groups.
_DASHES = _ByCategory({'Pd'}, '-', extra='\u2212')


def _fold(text):
    return unicodedata.normalize('NFKC', text).translate(_INVISIBLE)


def read_as_written(text):
    """The text as a reader sees it; only ever looked at."""
    read = text
    for _round in range(_MAX_DECODE_ROUNDS):
        folded = _fold(read)
        read = _URL_ESCAPES.sub(_decode_url_escapes, html.unescape(folded))
        if read == folded:
            break
    read = _fold(read).translate(_DASHES)
    read = _IDEOGRAPHIC_DOTS.sub('.', read)
    return _QUOTED_LOCAL_PART.sub(lambda match: _SPACE.sub('.', match.group(1)) + '@', read)


def redact_contact_data(text):
    """The text with every e-mail address and phone-like number replaced by
    '[redacted]'. A text without any comes back as it was; one with some comes
    back as read (decoded, folded), so no hidden form of it survives."""
    read = read_as_written(text)
    # The address pattern is tried at every position: only where an '@' is.
    redacted = _PHONE.sub(REDACTED, _EMAIL.sub(REDACTED, read) if '@' in read else read)
    return text if redacted == read else redacted
