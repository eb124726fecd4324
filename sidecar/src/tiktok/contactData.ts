import { decodeHTML } from 'entities';
import { isTtclid, keptQuery, REDACTED, redactEmails, shopAddress } from '../contract/privacy';

/**
 * The sidecar's rule for contact data, the one every row sent to the Events API
 * passes (every relayed event included): free text, references, page addresses
 * and user agents. It reads a text as a person would before it looks
 * (`readAsWritten`: HTML character references decoded as a browser decodes
 * them, by the `entities` library; URL escapes decoded; compatibility
 * characters folded, so `＠` is `@` and full-width digits are digits; invisible
 * characters removed; every dash a hyphen; quoted local parts unquoted). The
 * page's quicker pass (`privacy.ts`) has no room for the reading in its 8 KB:
 * what it finds, this finds too. Every pattern is looked at from one anchor (an
 * `@`, a digit) over a bounded stretch: linear time on any text. No I/O.
 */

/** A run of URL escapes (`%40`, `%EF%BC%A0`), decoded together as UTF-8. */
const URL_ESCAPES = /(?:%[0-9a-f]{2})+/gi;
/** `&amp;#64;` and `%2540` hide a character one level deeper; three levels is already absurd. */
const MAX_DECODE_ROUNDS = 3;
/** Zero-width spaces and joiners, soft hyphens, direction marks: the format characters (Cf). */
const INVISIBLE = /\p{Cf}/gu;
/** Every dash, and the minus sign, as typed between a phone number's groups. */
const DASHES = /[\p{Pd}\u2212]/gu;
/** The ideographic and half-width full stops, which IDNA reads as a domain's dots. */
const IDEOGRAPHIC_DOTS = /[\u3002\uff61]/g;
/** A quoted local part (`"john.doe"@`, `"john doe"@`), read as the plain one it stands for. */
const QUOTED_LOCAL_PART = /"([^"@\n]{1,64})"@/g;
const unquoteLocalPart = (_all: string, local: string) => `${local.replace(/\s/g, '.')}@`;

function decodeUrlEscapes(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    // Not UTF-8 as a whole: its ASCII escapes still mean what they say.
    return run.replace(/%([0-7][0-9a-f])/gi, (_all, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/**
 * Compatibility forms, invisible characters, other dashes and dots are all beyond
 * printable ASCII: a text of printable ASCII, tabs and line breaks needs no folding.
 */
const BEYOND_ASCII = /[^\t\n\r\x20-\x7e]/;

function fold(text: string): string {
  return BEYOND_ASCII.test(text) ? text.normalize('NFKC').replace(INVISIBLE, '') : text;
}

function decode(text: string): string {
  const decoded = text.includes('&') ? decodeHTML(text) : text;
  return decoded.includes('%') ? decoded.replace(URL_ESCAPES, decodeUrlEscapes) : decoded;
}

/**
 * The text as a reader sees it: only ever looked at, what is sent is the
 * original unless something is redacted. (Each step is skipped where it cannot
 * change anything: the relay reads every user agent.)
 */
function readAsWritten(text: string): string {
  let read = text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const folded = fold(read);
    read = decode(folded);
    if (read === folded) break;
  }
  if (BEYOND_ASCII.test(read)) read = fold(read).replace(DASHES, '-').replace(IDEOGRAPHIC_DOTS, '.');
  return read.includes('"') ? read.replace(QUOTED_LOCAL_PART, unquoteLocalPart) : read;
}

/**
 * Plain ASCII without `@`, `%`, `&` or seven digits holds neither an address nor
 * a number however it is read: most texts leave here, unread.
 */
function mayHideContactData(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 64 || c === 37 || c === 38 || c > 127) return true; // @ % & and anything beyond ASCII
    if (c >= 48 && c <= 57 && ++digits >= 7) return true;
  }
  return false;
}

/** A domain after the `@`, up to a top-level domain of letters of any script, or IDNA's `xn--` form. */
const READ_EMAIL_DOMAIN = /@[^\s@<>()[\]"',;:%]{1,253}\.(?:xn--[a-z0-9-]{1,59}|\p{L}{2,63})/giu;
/**
 * Seven or more digits of any script, led by `+` or by no letter or digit, split
 * by the separators people type. The lead is matched and put back (`redactRead`).
 */
const READ_PHONE = /(\+|^|[^\p{L}\p{N}_])\p{Nd}(?:[\s.\-/()]{0,3}\p{Nd}){6,}/gu;
/** A number written to be dialled from abroad: the one shape a reference or a user agent never takes. */
const INTERNATIONAL_PHONE = /\+\p{Nd}(?:[\s.\-/()]{0,3}\p{Nd}){6,}/u;

function redactRead(read: string): string {
  return redactEmails(read, READ_EMAIL_DOMAIN).replace(READ_PHONE, (_number, lead: string) => (lead === '+' ? '' : lead) + REDACTED);
}

/**
 * Free text (a search, a product name, a description, a message of TikTok's)
 * with every e-mail address and phone-like number, however written, replaced
 * by `[redacted]`. A text without any is returned as it came; one with some is
 * returned as read (decoded, folded), so no hidden form of it survives.
 */
export function scrubFreeText(text: string): string {
  if (!mayHideContactData(text)) return text;
  const read = readAsWritten(text);
  const redacted = redactRead(read);
  return redacted === read ? text : redacted;
}

export function hidesContactData(text: string): boolean {
  return scrubFreeText(text) !== text;
}

/**
 * An identifier (an order reference, a product's content id, a shop id) that
 * carries contact data: an e-mail address, or a number led by `+`. Other digit
 * runs are what references are made of (`Boutique 2 - 000005`,
 * `INV/2026/00001`, EAN barcodes) and are kept.
 */
export function isContactDataReference(reference: string): boolean {
  if (!mayHideContactData(reference)) return false;
  const read = readAsWritten(reference);
  return (read.includes('@') && redactEmails(read, READ_EMAIL_DOMAIN) !== read) || (read.includes('+') && INTERNATIONAL_PHONE.test(read));
}

/** A UUID (Odoo's access and survey tokens), anywhere in a path segment. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/**
 * A random token: 16 or more letters and digits in one run that mixes both (Odoo's
 * signup tokens, hex digests), or 32 or more URL-safe characters. Words of a
 * slug (`office-chair-5`) are runs of letters and stay.
 */
const TOKEN_RUN = /[a-z0-9]{16,}|[\w-]{32,}/gi; // 16: MIN_TOKEN_LENGTH
const HAS_DIGIT = /\d/;
const HAS_LETTER = /[a-z]/i;
/** A segment naming the secret that follows it (`/token/<value>`). */
const SECRET_NAME = /^(?:(?:access|auth|api|csrf|reset|signup)[-_]?)?(?:token|key|secret)$|^(?:passw(?:or)?d|signature|sig|session(?:[-_]?id)?|sid|otp)$/i;

/** The shortest secret a segment can hold is a 16-character token. */
const MIN_TOKEN_LENGTH = 16;

function isTokenLike(segment: string): boolean {
  if (segment.includes('=')) return true;
  if (segment.length < MIN_TOKEN_LENGTH) return false;
  if (UUID.test(segment)) return true;
  TOKEN_RUN.lastIndex = 0;
  for (let m = TOKEN_RUN.exec(segment); m; m = TOKEN_RUN.exec(segment)) {
    if (m[0].length >= 32 || (HAS_DIGIT.test(m[0]) && HAS_LETTER.test(m[0]))) return true;
  }
  return false;
}

/**
 * A path with each segment that carries a secret or contact data replaced by
 * `[redacted]`: a token, a UUID, a `name=value` pair, the value after a segment
 * that names a secret, an e-mail address or a phone number (URL-escaped or not).
 */
function scrubPath(pathname: string): string {
  const segments = pathname.split('/');
  let afterSecretName = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (!segment) continue;
    const hiding = mayHideContactData(segment);
    const read = hiding ? readAsWritten(segment) : segment;
    const secret = afterSecretName || isTokenLike(read) || (hiding && redactRead(read) !== read);
    afterSecretName = SECRET_NAME.test(read);
    if (secret) segments[i] = REDACTED;
  }
  return segments.join('/');
}

/** A query value that carries contact data, or a click id not of TikTok's shape. */
const refusedQueryValue = (value: string, key: string) => hidesContactData(value) || (key === 'ttclid' && !isTtclid(value));

/**
 * A page address as TikTok may see it: http(s) only, no credentials, no
 * fragment, each path segment that carries a secret or contact data replaced,
 * only the kept query parameters and none that carries contact data (a click id
 * only in TikTok's shape). With `origins`, an address outside them is dropped.
 */
export function scrubPageUrl(raw: string | undefined, origins?: readonly string[]): string | undefined {
  const url = shopAddress(raw, origins);
  if (!url) return undefined;
  const query = url.search ? keptQuery(url.searchParams, refusedQueryValue) : '';
  return `${url.origin}${scrubPath(url.pathname)}${query ? `?${query}` : ''}`;
}

/** Longer than any browser's: such a header is forged or stuffed, not a browser's name. */
export const MAX_USER_AGENT_LENGTH = 512;

/**
 * The User-Agent as it may be sent: dropped when absurdly long or carrying an
 * address or a phone number. Version numbers look like phone numbers
 * (`Chrome/131.0.6778.85`), so only a number led by `+` counts as one there.
 */
export function cleanUserAgent(userAgent: string | undefined): string | undefined {
  if (!userAgent || userAgent.length > MAX_USER_AGENT_LENGTH) return undefined;
  return isContactDataReference(userAgent) ? undefined : userAgent;
}
