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

/** `name@domain.tld` anywhere in a text, also when URL-encoded (`%40`). */
const EMAIL = /[^\s@<>()[\]"',;:]+(?:@|%40)[^\s@<>()[\]"',;:]+\.[a-z]{2,}/gi;
/**
 * Seven or more digits, optionally led by `+` and split by the separators
 * people type in phone numbers. Long product codes match too: a search for an
 * EAN loses its digits rather than risk sending someone's number.
 */
const PHONE = /(?:\+|\b)\d(?:[\s.\-/()]{0,3}\d){6,}/g;

export const REDACTED = '[redacted]';

export function containsContactData(text: string): boolean {
  EMAIL.lastIndex = 0;
  PHONE.lastIndex = 0;
  return EMAIL.test(text) || PHONE.test(text);
}

/** The text with every e-mail address and phone-like number replaced by `[redacted]`. */
export function redactContactData(text: string): string {
  return text.replace(EMAIL, REDACTED).replace(PHONE, REDACTED);
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
  if (origins && !origins.some((origin) => origin.toLowerCase() === url.origin.toLowerCase())) return undefined;
  const kept = new URLSearchParams();
  url.searchParams.forEach((value, name) => {
    if (KEPT_QUERY_PARAMS.test(name.toLowerCase()) && !containsContactData(value)) kept.append(name, value);
  });
  const query = kept.toString();
  const path = containsContactData(decodeSafely(url.pathname)) ? '/' : url.pathname;
  return `${url.origin}${path}${query ? `?${query}` : ''}`;
}

function decodeSafely(text: string): string {
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
