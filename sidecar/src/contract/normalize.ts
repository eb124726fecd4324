/**
 * Normalization rules for match keys, shared by the sidecar and the browser bundle
 * (the bundle imports this file), so both sides hash the same person to the same value.
 * Phone numbers have their own file (./phone.ts): their metadata is too large
 * for the page bundle, which loads it only when it needs it.
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
