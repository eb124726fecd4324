/**
 * What may leave the shop, as far as the page can afford to check: page
 * addresses without secrets, free text without contact data as written,
 * attribution ids only in TikTok's shapes. The browser bundle imports this
 * file (no I/O, no DOM, no Node), whose budget is 8 KB gzipped; what the page
 * relays is scrubbed again by the sidecar with the full rule, which builds on
 * this one (`contactData.ts`: text read as a person reads it first). Every
 * pattern is looked at from one anchor (an `@`, a digit) over a bounded
 * stretch: linear time on any text.
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
export function shopAddress(raw: string | undefined, origins: readonly string[] | undefined): URL | undefined {
  if (!raw || !URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (origins && !origins.some((origin) => isSameOrigin(origin, url.origin))) return undefined;
  return url;
}

// --- Attribution ids (the page and the sidecar) -----------------------------------------------------------

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
export function redactEmails(text: string, domains: RegExp = EMAIL_DOMAIN): string {
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

/** The kept query parameters that `refused` does not refuse (it is given the value and the lower-cased name). */
export function keptQuery(params: URLSearchParams, refused: (value: string, key: string) => boolean): string {
  const kept = new URLSearchParams();
  params.forEach((value, name) => {
    const key = name.toLowerCase();
    if (KEPT_QUERY_PARAMS.test(key) && !refused(value, key)) kept.append(name, value);
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
