/** The rules of ../normalize.ts and ../phone.ts hashed with Node's crypto: what the tests compare the browser and the module with. */
import { createHash, createHmac } from 'node:crypto';
import { isSha256Hex, normalizeEmail, normalizeZipCode } from '../../contract/normalize';
import { normalizePhone } from '../../contract/phone';

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

/** The scope of Odoo's keyed external_id (res.partner._tiktok_external_id; tests/vectors/contract.json). */
export const EXTERNAL_ID_SCOPE = 'website_tiktok_events.external_id';

/**
 * The external_id Odoo computes for a partner, for tests that know the
 * database's secret: odoo.tools.misc.hmac, an HMAC-SHA256 keyed with
 * `database.secret` of Python's repr((scope, ('res.partner', id))).
 */
export function odooExternalId(databaseSecret: string, partnerId: number): string {
  const message = `('${EXTERNAL_ID_SCOPE}', ('res.partner', ${partnerId}))`;
  return createHmac('sha256', databaseSecret).update(message, 'utf8').digest('hex');
}

export function hashZipCode(raw: string): string | undefined {
  return hashNormalized(raw, normalizeZipCode);
}
