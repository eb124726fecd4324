import { readCookie, writeCookie, type CookieJar } from './cookies';

/** TikTok's click id lives 30 days in a first-party cookie of the shop. */
export const TTCLID_COOKIE = 'ttclid';
export const TTCLID_MAX_AGE_DAYS = 30;
/** The pixel's own first-party cookie. */
export const TTP_COOKIE = '_ttp';

/**
 * Keeps the `ttclid` of an ad click from the landing URL, so events on later
 * pages (and the server-side Purchase) still carry it. A newer click replaces
 * an older one. Returns the ttclid in force for this page, if any.
 */
export function captureTtclid(jar: CookieJar, location: Pick<Location, 'search' | 'protocol'>): string | undefined {
  const fromUrl = new URLSearchParams(location.search).get('ttclid')?.trim();
  if (fromUrl) {
    writeCookie(jar, TTCLID_COOKIE, fromUrl, TTCLID_MAX_AGE_DAYS, location.protocol === 'https:');
    return fromUrl;
  }
  return readCookie(jar, TTCLID_COOKIE) || undefined;
}

export function readTtp(jar: CookieJar): string | undefined {
  return readCookie(jar, TTP_COOKIE) || undefined;
}
