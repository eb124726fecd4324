/**
 * Advanced matching keys, normalized then SHA-256 hashed in the browser so no
 * plain e-mail or phone ever leaves the page. The rules match the module's
 * Python hashing and the sidecar, so the same person hashes the same way on
 * both sides of a deduplicated pair.
 */
import {
  isSha256Hex,
  normalizeEmail as normalizeEmailRule,
  normalizePlace,
  normalizeZipCode,
  splitFullName,
} from '@contract/normalize';
import type { normalizePhone } from '@contract/phone';

import { toHex } from './ids';

export { isSha256Hex };

/** Trim + lowercase; an input that is not an address is dropped (''). One rule with the sidecar's. */
export function normalizeEmail(raw: string | null | undefined): string {
  return normalizeEmailRule(raw ?? '') ?? '';
}

/**
 * The sidecar's phone rule (sidecar/src/contract/phone.ts): E.164 read with
 * libphonenumber's metadata in the country given for numbers without their own.
 * The page bundle holds only its type: the metadata is too large for the page's
 * budget, so the rule is loaded when a phone number is to be hashed.
 */
export type PhoneRule = typeof normalizePhone;
export type PhoneRuleLoader = () => Promise<PhoneRule>;

/** How the page reads a phone number: the rule's loader and the country of numbers written without theirs. */
export interface PhoneReading {
  loadRule: PhoneRuleLoader;
  /** ISO 3166-1 alpha-2 (the page config's `phone_country`); without it only international numbers are read. */
  country?: string;
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

/** SHA-256 of the number's E.164 form; undefined when there is none, or when the rule cannot be loaded. */
export async function hashPhone(raw: string | null | undefined, reading: PhoneReading): Promise<string | undefined> {
  const trimmed = (raw ?? '').trim();
  if (!trimmed) return undefined;
  if (isSha256Hex(trimmed)) return trimmed.toLowerCase();
  let rule: PhoneRule;
  try {
    rule = await reading.loadRule();
  } catch {
    // the event still goes, without a phone key: never a plain number instead
    console.warn('[tiktok] the phone number rule could not be loaded: no phone key is sent');
    return undefined;
  }
  return hashNormalized(trimmed, (v) => rule(v, reading.country));
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

export async function hashContact(
  phoneReading: PhoneReading,
  email?: string | null,
  phone?: string | null,
  person: PersonFields = {},
): Promise<MatchKeys> {
  const { first_name, last_name } = splitFullName(person.name ?? '');
  const values = await Promise.all([
    hashEmail(email),
    hashPhone(phone, phoneReading),
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
