/**
 * What may leave the shop, decided once for the browser and the sidecar (the
 * bundle imports this file): page addresses without secrets, free text without
 * contact data, attribution ids only in TikTok's shapes. No I/O, no DOM, no Node.
 */

/**
 * Query parameters a page address keeps: campaign tags, TikTok's click id and
 * the shop's own browsing terms. Everything else may be a secret (`token` of a
 * password reset, `access_token` of a portal link) or personal, and is dropped.
 */
const KEPT_QUERY_PARAMS = /^(utm_[a-z_]{1,32}|ttclid|search|category|attrib|order)$/;

/**
 * An e-mail address is found from its `@` (or URL-encoded `%40`): the domain up
 * to a top-level domain after it, then at most 64 characters of local part before
 * it. Each `@` is looked at once, so a hostile text costs linear time.
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

export const REDACTED = '[redacted]';

/** The text with each e-mail address replaced, scanning from each `@` once. */
function redactEmails(text: string): string {
  let redacted = '';
  let from = 0;
  EMAIL_DOMAIN.lastIndex = 0;
  for (let m = EMAIL_DOMAIN.exec(text); m; m = EMAIL_DOMAIN.exec(text)) {
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
 */
function mayHoldContactData(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 64 || c === 37) return true; // @ %
    if (c >= 48 && c <= 57 && ++digits >= 7) return true;
  }
  return false;
}

/** The text with every e-mail address and phone-like number replaced by `[redacted]`. */
export function redactContactData(text: string): string {
  return mayHoldContactData(text) ? redactEmails(text).replace(PHONE, REDACTED) : text;
}

export function containsContactData(text: string): boolean {
  return redactContactData(text) !== text;
}

/**
 * A page address as TikTok may see it: http(s) only, no credentials, no
 * fragment, only the kept query parameters and none that carries contact data.
 * With `origins`, an address outside them is dropped (undefined): the relay and
 * the pixel only speak of the shop's own pages.
 */
export function cleanPageUrl(raw: string | undefined, origins?: readonly string[]): string | undefined {
  if (!raw || !URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (origins && !origins.some((origin) => isSameOrigin(origin, url.origin))) return undefined;
  const query = url.search ? keptQuery(url.searchParams) : '';
  const path = containsContactData(decodeSafely(url.pathname)) ? '/' : url.pathname;
  return `${url.origin}${path}${query ? `?${query}` : ''}`;
}

function keptQuery(params: URLSearchParams): string {
  const kept = new URLSearchParams();
  params.forEach((value, name) => {
    if (KEPT_QUERY_PARAMS.test(name.toLowerCase()) && !containsContactData(value)) kept.append(name, value);
  });
  return kept.toString();
}

/** `https://Shop.example:443/` and `https://shop.example` are one origin; the plain comparison settles most cases. */
function isSameOrigin(allowed: string, origin: string): boolean {
  const lowered = allowed.toLowerCase();
  if (lowered === origin) return true;
  return URL.canParse(lowered) && new URL(lowered).origin === origin;
}

function decodeSafely(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * TikTok's click id (`E.C.P.…`-style, URL-safe) and the `_ttp` cookie value:
 * anything else (spaces, `@`, quotes, markup) is not theirs and is not sent.
 */
const TTCLID = /^[A-Za-z0-9][A-Za-z0-9._~+/=-]{7,511}$/;
const TTP = /^[A-Za-z0-9][A-Za-z0-9._~+/=-]{7,255}$/;

export function isTtclid(value: string | undefined): value is string {
  return !!value && TTCLID.test(value);
}

export function isTtp(value: string | undefined): value is string {
  return !!value && TTP.test(value);
}

/** Longer than any browser's: such a header is forged or stuffed, not a browser's name. */
export const MAX_USER_AGENT_LENGTH = 512;
/**
 * In a user agent, version numbers look like phone numbers (`Chrome/131.0.6778.85`),
 * so only a number led by `+` counts as one there.
 */
const INTERNATIONAL_PHONE = /\+\d(?:[\s.\-/()]{0,3}\d){6,}/;

/** The User-Agent as it may be sent: dropped when absurdly long or carrying an address or a phone number. */
export function cleanUserAgent(userAgent: string | undefined): string | undefined {
  if (!userAgent || userAgent.length > MAX_USER_AGENT_LENGTH) return undefined;
  if (!mayHoldContactData(userAgent)) return userAgent;
  return redactEmails(userAgent) !== userAgent || INTERNATIONAL_PHONE.test(userAgent) ? undefined : userAgent;
}
