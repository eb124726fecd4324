/**
 * What may leave the shop: page addresses without secrets, free text without
 * contact data, references that carry none, attribution ids only in TikTok's
 * shapes. No I/O, no DOM, no Node: the browser bundle imports this file.
 *
 * Two passes share it. The sidecar's (`scrubFreeText`, `scrubPageUrl`,
 * `isContactDataReference`) is the rule for every row sent to the Events API,
 * every relayed event included: it reads a text as a person would first
 * (`readAsWritten`: HTML character references and URL escapes decoded,
 * compatibility characters folded, invisible characters removed, every dash a
 * hyphen). The page's quick pass (`redactContactData`, `cleanPageUrl`) reads the
 * text as it comes: the page bundle has no room for the reading (its budget is
 * 8 KB gzipped), and what the page relays is scrubbed again by the sidecar.
 * Esbuild keeps only what the page imports. Every pattern is looked at from
 * one anchor (an `@`, a digit) over a bounded stretch: linear time on any text.
 */

export const REDACTED = '[redacted]';

/**
 * Query parameters a page address keeps: campaign tags, TikTok's click id and
 * the shop's own browsing terms. Everything else may be a secret (`token` of a
 * password reset, `access_token` of a portal link) or personal, and is dropped.
 */
const KEPT_QUERY_PARAMS = /^(utm_[a-z_]{1,32}|ttclid|search|category|attrib|order)$/;

/** `https://Shop.example:443/` and `https://shop.example` are one origin; the plain comparison settles most cases. */
function isSameOrigin(allowed: string, origin: string): boolean {
  const lowered = allowed.toLowerCase();
  if (lowered === origin) return true;
  return URL.canParse(lowered) && new URL(lowered).origin === origin;
}

/** The address parsed, when it is an http(s) address of one of `origins` (of any origin without them). */
function shopAddress(raw: string | undefined, origins: readonly string[] | undefined): URL | undefined {
  if (!raw || !URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (origins && !origins.some((origin) => isSameOrigin(origin, url.origin))) return undefined;
  return url;
}

// --- Attribution ids (both passes) -----------------------------------------------------------

/**
 * TikTok's click id as its ad links carry it: `E.C.P.` (`E_C_P_` in some
 * links) and a URL-safe base64 payload of a few hundred characters. TikTok
 * documents no grammar; this is the shape of the ids it issues
 * (docs/CONTRACTS.md §4). Inputs are bounded before (512 characters).
 */
const TTCLID = /^E([._])C\1P\1[\w-]+$/;
/**
 * The `_ttp` cookie of TikTok's pixel: a random id of 16 to 64 URL-safe
 * characters mixing letters and digits (27 as issued: a base62 id, or a ULID
 * and `_`), and in newer cookies a `.tt.<n>` suffix. A dot elsewhere, an `@`,
 * a space, digits alone: not TikTok's.
 */
const TTP = /^(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]{16,64}(\.tt\.\d{1,3})?$/i;

export function isTtclid(value: string | undefined): value is string {
  return !!value && TTCLID.test(value);
}

export function isTtp(value: string | undefined): value is string {
  return !!value && TTP.test(value);
}

// --- The page's quick pass -------------------------------------------------------------------

/**
 * An e-mail address is found from its `@` (or URL-encoded `%40`): the domain up
 * to a top-level domain after it, then at most 64 characters of local part before
 * it (`readAsWritten` unquotes a quoted one). Each `@` is looked at once, so a
 * hostile text costs linear time.
 */
const EMAIL_DOMAIN = /(?:@|%40)[^\s@<>()[\]"',;:%]{1,253}\.[a-z]{2,}/gi;
const LOCAL_PART_CHAR = /[^\s@<>()[\]"',;:]/;
const MAX_LOCAL_PART = 64;
/**
 * Seven or more digits, optionally led by `+` and split by the separators
 * people type in phone numbers. Long product codes match too: a search for an
 * EAN loses its digits rather than risk sending someone's number.
 */
const PHONE = /(?:\+|\b)\d(?:[\s.\-/()]{0,3}\d){6,}/g;

/** The text with each e-mail address `domains` finds replaced, scanning from each `@` once. */
function redactEmails(text: string, domains: RegExp = EMAIL_DOMAIN): string {
  let redacted = '';
  let from = 0;
  domains.lastIndex = 0;
  for (let m = domains.exec(text); m; m = domains.exec(text)) {
    let start = m.index;
    while (start > from && m.index - start < MAX_LOCAL_PART && LOCAL_PART_CHAR.test(text[start - 1])) start -= 1;
    if (start === m.index) continue;
    redacted += text.slice(from, start) + REDACTED;
    from = m.index + m[0].length;
  }
  return redacted + text.slice(from);
}

/**
 * Without an `@`, a `%` or seven digits a text holds neither an address nor a
 * number: most texts (a product name, a search for "desk") leave here, unscanned.
 * (Linear: seven digits anywhere make a match, so a failed start has fewer.)
 */
const MAY_HOLD_CONTACT_DATA = /[@%]|(?:\d\D*){7}/;

/** The page's pass over free text: every e-mail address and phone-like number, as written, replaced by `[redacted]`. */
export function redactContactData(text: string): string {
  return MAY_HOLD_CONTACT_DATA.test(text) ? redactEmails(text).replace(PHONE, REDACTED) : text;
}

export function containsContactData(text: string): boolean {
  return redactContactData(text) !== text;
}

/**
 * The page's pass over a page address: http(s) only, no credentials, no
 * fragment, only the kept query parameters and none that carries contact data,
 * no path that does. With `origins`, an address outside them is dropped
 * (undefined): the relay and the pixel only speak of the shop's own pages.
 */
export function cleanPageUrl(raw: string | undefined, origins?: readonly string[]): string | undefined {
  const url = shopAddress(raw, origins);
  if (!url) return undefined;
  const query = url.search ? keptQuery(url.searchParams, containsContactData) : '';
  const path = containsContactData(decodeSafely(url.pathname)) ? '/' : url.pathname;
  return `${url.origin}${path}${query ? `?${query}` : ''}`;
}

/** The kept query parameters whose value `holdsContactData` finds clean. */
function keptQuery(params: URLSearchParams, holdsContactData: (text: string) => boolean): string {
  const kept = new URLSearchParams();
  params.forEach((value, name) => {
    if (KEPT_QUERY_PARAMS.test(name.toLowerCase()) && !holdsContactData(value)) kept.append(name, value);
  });
  return kept.toString();
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// --- The sidecar's pass: reading a text as it is meant -----------------------------------------

/**
 * The named character references of the characters the patterns below read
 * (`@ . + ( ) / " % & : ; , _ #`, dashes, spaces, invisible characters), as the
 * WHATWG table names them; a test holds each to the `entities` library. A
 * reference to any other character cannot make or break an address or a number.
 */
const NAMED_REFERENCES: Readonly<Record<string, string>> = {
  commat: '@', period: '.', plus: '+', lpar: '(', rpar: ')', sol: '/', quot: '"', QUOT: '"', percnt: '%',
  amp: '&', AMP: '&', colon: ':', semi: ';', comma: ',', lowbar: '_', UnderBar: '_', num: '#',
  hyphen: '\u2010', dash: '\u2010', minus: '\u2212', ndash: '\u2013', mdash: '\u2014', horbar: '\u2015',
  nbsp: '\u00a0', NonBreakingSpace: '\u00a0', ensp: '\u2002', emsp: '\u2003', numsp: '\u2007', puncsp: '\u2008',
  thinsp: '\u2009', ThinSpace: '\u2009', hairsp: '\u200a', VeryThinSpace: '\u200a', MediumSpace: '\u205f',
  ZeroWidthSpace: '\u200b', NegativeVeryThinSpace: '\u200b', NegativeThinSpace: '\u200b',
  NegativeMediumSpace: '\u200b', NegativeThickSpace: '\u200b', zwnj: '\u200c', zwj: '\u200d', lrm: '\u200e',
  rlm: '\u200f', NoBreak: '\u2060', shy: '\u00ad', af: '\u2061', ApplyFunction: '\u2061', it: '\u2062',
  InvisibleTimes: '\u2062', ic: '\u2063', InvisibleComma: '\u2063', Tab: '\t', NewLine: '\n',
};
/** `&#64;`, `&#x40;` (the `;` is optional in HTML) and `&commat;`. */
const CHARACTER_REFERENCE = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]{1,31}));?/gi;
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

function decodeReference(whole: string, decimal?: string, hex?: string, name?: string): string {
  if (name !== undefined) {
    const char: unknown = NAMED_REFERENCES[name];
    return typeof char === 'string' ? char : whole; // not `toString` and the like
  }
  const code = decimal !== undefined ? Number(decimal) : parseInt(hex as string, 16);
  return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
}

function decodeUrlEscapes(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    // Not UTF-8 as a whole: its ASCII escapes still mean what they say.
    return run.replace(/%([0-7][0-9a-f])/gi, (_all, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/** The text as a reader sees it: only ever looked at, what is sent is the original unless something is redacted. */
function readAsWritten(text: string): string {
  let read = text;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const folded = read.normalize('NFKC').replace(INVISIBLE, '');
    read = folded.replace(CHARACTER_REFERENCE, decodeReference).replace(URL_ESCAPES, decodeUrlEscapes);
    if (read === folded) break;
  }
  return read
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(DASHES, '-')
    .replace(IDEOGRAPHIC_DOTS, '.')
    .replace(QUOTED_LOCAL_PART, unquoteLocalPart);
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
  return redactEmails(read, READ_EMAIL_DOMAIN) !== read || INTERNATIONAL_PHONE.test(read);
}

/** A UUID (Odoo's access and survey tokens), anywhere in a path segment. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
/**
 * A random token: 16 or more letters and digits in one run that mixes both (Odoo's
 * signup tokens, hex digests), or 32 or more URL-safe characters. Words of a
 * slug (`office-chair-5`) are runs of letters and stay.
 */
const TOKEN_RUN = /[a-z0-9]{16,}|[\w-]{32,}/gi;
const HAS_DIGIT = /\d/;
const HAS_LETTER = /[a-z]/i;
/** A segment naming the secret that follows it (`/token/<value>`). */
const SECRET_NAME = /^(?:(?:access|auth|api|csrf|reset|signup)[-_]?)?(?:token|key|secret)$|^(?:passw(?:or)?d|signature|sig|session(?:[-_]?id)?|sid|otp)$/i;

function isTokenLike(segment: string): boolean {
  if (segment.includes('=') || UUID.test(segment)) return true;
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
    const read = mayHideContactData(segment) ? readAsWritten(segment) : segment;
    const secret = afterSecretName || isTokenLike(read) || redactRead(read) !== read;
    afterSecretName = SECRET_NAME.test(read);
    if (secret) segments[i] = REDACTED;
  }
  return segments.join('/');
}

/**
 * A page address as TikTok may see it: http(s) only, no credentials, no
 * fragment, each path segment that carries a secret or contact data replaced,
 * only the kept query parameters and none that carries contact data (a click id
 * only in TikTok's shape). With `origins`, an address outside them is dropped.
 */
export function scrubPageUrl(raw: string | undefined, origins?: readonly string[]): string | undefined {
  const url = shopAddress(raw, origins);
  if (!url) return undefined;
  if (url.searchParams.has('ttclid') && !isTtclid(url.searchParams.get('ttclid') ?? undefined)) url.searchParams.delete('ttclid');
  const query = url.search ? keptQuery(url.searchParams, hidesContactData) : '';
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
