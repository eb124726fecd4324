import { readCookie, writeCookie, type CookieJar } from './cookies';
import { consentAllows, type ConsentState } from './consent';
import { isTtclid, isTtp } from './privacy';

/** TikTok's click id lives 30 days in a first-party cookie of the shop. */
export const TTCLID_COOKIE = 'ttclid';
export const TTCLID_MAX_AGE_DAYS = 30;
/** The pixel's own first-party cookie. */
export const TTP_COOKIE = '_ttp';

/**
 * The `ttclid` in force for this page: the landing URL's (an ad click), else
 * the one kept from an earlier click. Only a landing URL writes the cookie,
 * and only once the visitor allows it (`consent`): with Odoo's cookie bar
 * unanswered the click id serves this page's events, which wait for consent
 * anyway, and `grantConsent` on this page keeps it. A newer click replaces an
 * older one. Anything not shaped like TikTok's click id is ignored.
 */
export function captureTtclid(jar: CookieJar, location: Pick<Location, 'search' | 'protocol'>, consent: ConsentState): string | undefined {
  const fromUrl = new URLSearchParams(location.search).get('ttclid')?.trim();
  if (isTtclid(fromUrl)) {
    if (consentAllows(consent)) writeCookie(jar, TTCLID_COOKIE, fromUrl, TTCLID_MAX_AGE_DAYS, location.protocol === 'https:');
    return fromUrl;
  }
  const kept = readCookie(jar, TTCLID_COOKIE);
  return isTtclid(kept) ? kept : undefined;
}

export function readTtp(jar: CookieJar): string | undefined {
  const ttp = readCookie(jar, TTP_COOKIE);
  return isTtp(ttp) ? ttp : undefined;
}
