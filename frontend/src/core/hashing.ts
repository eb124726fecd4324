/**
 * Advanced matching keys, normalized then SHA-256 hashed in the browser so no
 * plain e-mail or phone ever leaves the page. The rules match the module's
 * Python hashing and the sidecar, so the same person hashes the same way on
 * both sides of a deduplicated pair.
 */
import {
  isSha256Hex,
  normalizeEmail as normalizeEmailRule,
  normalizePhone as normalizePhoneRule,
  normalizePlace,
  normalizeZipCode,
  splitFullName,
} from '../../../sidecar/src/tiktok/normalize';

import { toHex } from './ids';

export { isSha256Hex };

/** Trim + lowercase; an input that is not an address is dropped (''). One rule with the sidecar's. */
export function normalizeEmail(raw: string | null | undefined): string {
  return normalizeEmailRule(raw ?? '') ?? '';
}

/**
 * E.164 with the sidecar's rule (the same file is bundled here): "+", country code
 * and digits, no trunk "0"; +86 numbers without their country code; a national
 * number without a known country is dropped ('') rather than hashed wrongly.
 */
export function normalizePhone(raw: string | null | undefined, defaultCallingCode?: string): string {
  return normalizePhoneRule(raw ?? '', defaultCallingCode) ?? '';
}

export async function sha256Hex(text: string, subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): Promise<string | undefined> {
  // crypto.subtle exists only in secure contexts: on a plain-http shop we send
  // no matching key at all rather than a plain one.
  if (!subtle) return undefined;
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return toHex(new Uint8Array(digest));
}

async function hashNormalized(raw: string | null | undefined, normalize: (v: string) => string | undefined): Promise<string | undefined> {
  const trimmed = (raw ?? '').trim();
  if (!trimmed) return undefined;
  if (isSha256Hex(trimmed)) return trimmed.toLowerCase();
  const normalized = normalize(trimmed);
  return normalized ? sha256Hex(normalized) : undefined;
}

export function hashEmail(raw: string | null | undefined): Promise<string | undefined> {
  return hashNormalized(raw, normalizeEmailRule);
}

export function hashPhone(raw: string | null | undefined, defaultCallingCode?: string): Promise<string | undefined> {
  return hashNormalized(raw, (v) => normalizePhoneRule(v, defaultCallingCode));
}

/** The `ttq.identify` / relay `user` keys built from a form's fields: hashed, but the city plain. */
export interface MatchKeys {
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
  zip_code?: string;
  city?: string;
}

/** A form's name and address, read only where the website shares them. */
export interface PersonFields {
  name?: string;
  zip?: string;
  city?: string;
}

export async function hashContact(email?: string | null, phone?: string | null, person: PersonFields = {}): Promise<MatchKeys> {
  const { first_name, last_name } = splitFullName(person.name ?? '');
  const values = await Promise.all([
    hashEmail(email),
    hashPhone(phone),
    first_name && sha256Hex(first_name),
    last_name && sha256Hex(last_name),
    hashNormalized(person.zip, normalizeZipCode),
  ]);
  values.push(normalizePlace(person.city ?? ''));
  const keys: Record<string, string> = {};
  (['email', 'phone', 'first_name', 'last_name', 'zip_code', 'city'] as const).forEach((key, i) => {
    if (values[i]) keys[key] = values[i];
  });
  return keys;
}
