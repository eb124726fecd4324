/**
 * Normalization rules for match keys, shared by the sidecar and the browser bundle
 * (the bundle imports this file), so both sides hash the same person to the same value.
 * No I/O and no Node or DOM APIs here.
 */

const SHA256_HEX = /^[a-f0-9]{64}$/i;

/** A value that already is a SHA-256 hex digest is sent as it is (lowercased). */
export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

export function normalizeEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+$/.test(email) ? email : undefined;
}

/** TikTok's own template sends Chinese numbers without their country code. */
const COUNTRY_CODES_SENT_WITHOUT_PREFIX = new Set(['86']);

/**
 * E.164 normalization: `+`, country calling code and digits only, no trunk `0`.
 * `defaultCountryCode` (e.g. "32", from the partner's country) is used when the
 * number carries none. Returns undefined when the number cannot be made E.164.
 */
export function normalizePhone(raw: string, defaultCountryCode?: string): string | undefined {
  // "+32 (0)470 …" writes the trunk 0 in parentheses after the country code.
  const trimmed = raw.trim().replace(/\(0\)/g, '');
  const international = trimmed.startsWith('+') || trimmed.startsWith('00');
  let digits = trimmed.replace(/\D/g, '');
  if (trimmed.startsWith('00')) digits = digits.slice(2);
  let e164: string;
  if (international) {
    e164 = digits;
  } else {
    const cc = (defaultCountryCode ?? '').replace(/\D/g, '');
    const national = digits.replace(/^0+/, '');
    if (cc) e164 = cc + national;
    else if (digits.startsWith('0')) return undefined; // national number, country unknown
    else e164 = digits;
  }
  if (e164.length < 8 || e164.length > 15 || e164.startsWith('0')) return undefined;
  for (const cc of COUNTRY_CODES_SENT_WITHOUT_PREFIX) {
    if (e164.startsWith(cc)) return e164.slice(cc.length);
  }
  return `+${e164}`;
}

export function normalizeExternalId(raw: string | number): string | undefined {
  const id = String(raw).trim();
  return id ? id : undefined;
}

/** Names and postal codes are compared as typed, but trimmed and lower-cased (then hashed). Runs of spaces count as one. */
export function normalizeName(raw: string): string | undefined {
  const name = raw.trim().toLowerCase().replace(/\s+/g, ' ');
  return name || undefined;
}

export const normalizeZipCode = normalizeName;

/**
 * A full name as one field holds it (an Odoo partner, a contact form): the first
 * word is the first name, the other words the last name. Names written family
 * name first are split the wrong way round; TikTok matches on both keys anyway.
 */
export function splitFullName(raw: string): { first_name?: string; last_name?: string } {
  const [first, ...rest] = (normalizeName(raw) ?? '').split(' ');
  return { first_name: first || undefined, last_name: rest.join(' ') || undefined };
}

/** City, state and country travel plain: lower-cased letters and digits of any script, nothing else. */
export function normalizePlace(raw: string): string | undefined {
  return raw.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '') || undefined;
}
