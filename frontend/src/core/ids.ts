/** Lowercase hex, two digits a byte (event ids, SHA-256 digests). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b + 256).toString(16).slice(1)).join('');
}

/**
 * Event ids: one uuid v4 per fired event. The same id goes to `ttq.track` and
 * to the relay, which is what lets TikTok merge the browser/server pair.
 * Built from `getRandomValues`, which every browser has in any context:
 * `randomUUID` exists only in secure ones, and shops served over plain http
 * still need well-formed, unguessable ids.
 */
export function newEventId(cryptoImpl: Pick<Crypto, 'getRandomValues'> = globalThis.crypto): string {
  const bytes = cryptoImpl.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
