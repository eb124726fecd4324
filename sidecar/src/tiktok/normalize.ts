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

export function normalizeExternalId(raw: string | number): string | undefined {
  const id = String(raw).trim();
  return id ? id : undefined;
}
