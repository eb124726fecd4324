/** The rules of ../normalize.ts and ../phone.ts hashed with Node's crypto: what the tests compare the browser and the module with. */
import { createHash } from 'node:crypto';
import { isSha256Hex, normalizeEmail, normalizeExternalId, normalizeZipCode } from '../normalize';
import { normalizePhone } from '../phone';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Hash a normalized value, or pass an already-hashed one through. */
function hashNormalized(raw: string, normalize: (v: string) => string | undefined): string | undefined {
  const value = raw.trim();
  if (!value) return undefined;
  if (isSha256Hex(value)) return value.toLowerCase();
  const normalized = normalize(value);
  return normalized === undefined ? undefined : sha256Hex(normalized);
}

export function hashEmail(raw: string): string | undefined {
  return hashNormalized(raw, normalizeEmail);
}

export function hashPhone(raw: string, defaultCountry?: string): string | undefined {
  return hashNormalized(raw, (v) => normalizePhone(v, defaultCountry));
}

export function hashExternalId(raw: string | number): string | undefined {
  return hashNormalized(String(raw), normalizeExternalId);
}

export function hashZipCode(raw: string): string | undefined {
  return hashNormalized(raw, normalizeZipCode);
}
