/**
 * What may leave the browser, decided by the same file as the sidecar's rules
 * (esbuild bundles the few lines it needs): page addresses without secrets,
 * free text without contact data, attribution ids only in TikTok's shapes.
 */
import { cleanPageUrl, redactContactData } from '@contract/privacy';

export { isTtclid, isTtp } from '@contract/privacy';

/**
 * A page address as TikTok may see it; with `origin`, only a page of that
 * origin (the referrer: a search engine's or a webmail's address is dropped).
 */
export function cleanAddress(raw: string | undefined, origin?: string): string | undefined {
  try {
    return cleanPageUrl(raw, origin ? [origin] : undefined);
  } catch {
    // The shared rule needs URL.canParse (2023 browsers): an older browser
    // sends no address rather than an uncleaned one.
    return undefined;
  }
}

/** The properties that carry text a visitor typed (a search) or the page derived (a description). */
const FREE_TEXT_PROPERTIES = ['query', 'description'];

/** The properties with every e-mail address and phone-like number in their free text redacted. */
export function redactFreeText(properties: Record<string, unknown>): Record<string, unknown> {
  const redacted = { ...properties };
  for (const key of FREE_TEXT_PROPERTIES) {
    const text = redacted[key];
    if (typeof text === 'string') redacted[key] = redactContactData(text);
  }
  return redacted;
}
