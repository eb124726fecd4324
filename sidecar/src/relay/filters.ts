/** Pure request classification for the relay: bots, prefetches, origins, client IPs. */

/** Crawlers, link previewers, monitors and automation that must never become ad events. */
const BOT_USER_AGENT =
  /bot\b|bot\/|crawl|spider|slurp|bingpreview|facebookexternalhit|facebookcatalog|embedly|quora link preview|whatsapp|telegrambot|skypeuripreview|headlesschrome|phantomjs|puppeteer|playwright|selenium|lighthouse|pagespeed|gtmetrix|pingdom|uptimerobot|statuscake|site24x7|curl\/|wget\/|python-requests|python-urllib|aiohttp|httpx|go-http-client|java\/|okhttp|node-fetch|axios\/|undici|libwww-perl|scrapy|postmanruntime|insomnia|apachebench|^ab\//i;

export function isBotUserAgent(userAgent: string | undefined): boolean {
  if (!userAgent || userAgent.trim().length < 10) return true;
  return BOT_USER_AGENT.test(userAgent);
}

/** Speculative loads (prefetch/prerender) are not a shopper's action. */
const PURPOSE_HEADERS = ['sec-purpose', 'purpose', 'x-purpose', 'x-moz'];
const isSpeculative = (value: unknown) => {
  if (typeof value !== 'string') return false;
  const v = value.toLowerCase();
  return v.includes('prefetch') || v.includes('prerender') || v.includes('preview');
};

export function isPrefetch(headers: Record<string, string | string[] | undefined>): boolean {
  // Looked at in place: this runs for every request.
  for (const name of PURPOSE_HEADERS) {
    const value = headers[name];
    if (Array.isArray(value) ? value.some(isSpeculative) : isSpeculative(value)) return true;
  }
  return false;
}

/** `scheme://host[:port]`, lowercased, or undefined when the value is not an http(s) URL. */
export function originOf(value: string | undefined): string | undefined {
  if (!value || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin.toLowerCase();
}

/** Origin headers seen lately and their origins: a shop's pages send the same few, a forger many (the memo is then emptied). */
const headerOrigins = new Map<string, string | undefined>();
export const HEADER_ORIGINS_KEPT = 256;

/** How many Origin headers the memo holds now (its bound is what keeps a forger from growing it). */
export function rememberedHeaderOrigins(): number {
  return headerOrigins.size;
}

function originOfHeader(origin: string): string | undefined {
  if (headerOrigins.has(origin)) return headerOrigins.get(origin);
  if (headerOrigins.size >= HEADER_ORIGINS_KEPT) headerOrigins.clear();
  const parsed = originOf(origin);
  headerOrigins.set(origin, parsed);
  return parsed;
}

/** The page's origin: the Origin header, else the Referer's origin (some beacons send only that). */
export function requestOrigin(origin: string | undefined, referer: string | undefined): string | undefined {
  if (origin && origin !== 'null') return originOfHeader(origin);
  return originOf(referer);
}

export function isOriginAllowed(origin: string, allowed: readonly string[]): boolean {
  return allowedOrigins(allowed).has(origin);
}

const originSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/**
 * The origins of a list of allowed addresses, parsed once per list: settings hand out
 * a new list when they change, so a list seen before has the same origins, and the
 * relay stops parsing every shop domain as a URL for every request.
 */
export function allowedOrigins(allowed: readonly string[]): ReadonlySet<string> {
  let origins = originSets.get(allowed);
  if (!origins) {
    origins = new Set(allowed.map(originOf).filter((o): o is string => o !== undefined));
    originSets.set(allowed, origins);
  }
  return origins;
}

/** Node reports IPv4 clients of a dual-stack socket as `::ffff:a.b.c.d`; TikTok wants the plain address. */
export function cleanIp(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
