import { orUndefined, VECTORS } from '../../../../tests/vectors/contractVectors';
import { EXTERNAL_ID_SCOPE, hashEmail, hashPhone, hashZipCode as hashNormalizedZip, odooExternalId, sha256Hex } from './nodeHash';
import { Sha256HexSchema } from '../../contract/fields';
import { isSha256Hex, normalizeEmail, normalizePlace, normalizeZipCode, splitFullName } from '../../contract/normalize';
import { normalizePhone, phoneCountry } from '../../contract/phone';

// The cases come from tests/vectors/contract.json, which the browser bundle's
// and the module's tests read too: one person, one digest, on every side.

describe('email', () => {
  it.each(VECTORS.email.map((v) => [JSON.stringify(v.raw), v] as const))('%s', (_raw, v) => {
    expect(normalizeEmail(v.raw)).toBe(orUndefined(v.normalized));
    expect(hashEmail(v.raw)).toBe(orUndefined(v.sha256));
  });
});

describe('phone (E.164)', () => {
  it.each(VECTORS.phone.map((v) => [JSON.stringify(v.raw), v.country, v] as const))('%s (country %s)', (_raw, _country, v) => {
    const country = orUndefined(v.country);
    expect(normalizePhone(v.raw, country)).toBe(orUndefined(v.e164));
    expect(hashPhone(v.raw, country)).toBe(orUndefined(v.sha256));
  });

  it('reads a country whatever its case and spaces, and only countries the metadata knows', () => {
    expect(phoneCountry(' it ')).toBe('IT');
    expect(phoneCountry('ZZ')).toBeUndefined();
    expect(phoneCountry('ITA')).toBeUndefined();
    expect(phoneCountry(undefined)).toBeUndefined();
  });
});

describe('external_id (keyed by Odoo, passed on by the sidecar)', () => {
  it('is the HMAC of the vectors: one per database secret, none computable from the id alone', () => {
    expect(VECTORS.external_id.scope).toBe(EXTERNAL_ID_SCOPE);
    for (const v of VECTORS.external_id.keyed) expect(odooExternalId(v.secret, v.partner_id)).toBe(v.external_id);
    const [first] = VECTORS.external_id.keyed;
    expect(first.external_id).not.toBe(sha256Hex(String(first.partner_id)));
  });
  it.each(VECTORS.external_id.passed_on.map((v) => [JSON.stringify(v.raw), v] as const))('takes %s as Odoo gave it, or not at all', (_raw, v) => {
    const parsed = Sha256HexSchema.safeParse(v.raw.trim().toLowerCase());
    expect(parsed.success ? parsed.data : null).toBe(v.external_id);
  });
});

describe('already hashed values', () => {
  // An external_id is never hashed here: the keyed value Odoo gave is passed on.
  const passOn = (raw: string): string | undefined => (isSha256Hex(raw.trim()) ? raw.trim().toLowerCase() : undefined);
  const hashOf = { email: hashEmail, phone: (raw: string) => hashPhone(raw), external_id: passOn };
  it.each(VECTORS.already_hashed.map((v) => [v.key, JSON.stringify(v.raw), v] as const))('%s %s passes through, lowercased', (_key, _raw, v) => {
    expect(hashOf[v.key](v.raw)).toBe(v.sha256);
  });
});

describe('sha256Hex', () => {
  it('gives the digests of the vectors (computed with coreutils)', () => {
    for (const v of VECTORS.email.filter((e) => e.normalized !== null)) expect(sha256Hex(v.normalized!)).toBe(v.sha256);
  });
});

describe('isSha256Hex', () => {
  const digest = VECTORS.external_id.keyed[0].external_id;
  it('recognises 64 hex characters only', () => {
    expect(isSha256Hex(digest)).toBe(true);
    expect(isSha256Hex(digest.slice(1))).toBe(false);
    expect(isSha256Hex('z'.repeat(64))).toBe(false);
  });
});

describe('person name (first_name, last_name)', () => {
  it.each(VECTORS.person_name.map((v) => [JSON.stringify(v.raw), v] as const))('%s', (_raw, v) => {
    const split = splitFullName(v.raw);
    expect(split).toEqual({ first_name: orUndefined(v.first_name), last_name: orUndefined(v.last_name) });
    expect(split.first_name && sha256Hex(split.first_name)).toBe(orUndefined(v.first_name_sha256));
    expect(split.last_name && sha256Hex(split.last_name)).toBe(orUndefined(v.last_name_sha256));
  });
});

describe('zip_code', () => {
  it.each(VECTORS.zip_code.map((v) => [JSON.stringify(v.raw), v] as const))('%s', (_raw, v) => {
    expect(normalizeZipCode(v.raw)).toBe(orUndefined(v.normalized));
    expect(hashNormalizedZip(v.raw)).toBe(orUndefined(v.sha256));
  });
});

describe('city, state, country (plain)', () => {
  it.each(VECTORS.place.map((v) => [JSON.stringify(v.raw), v] as const))('%s', (_raw, v) => {
    expect(normalizePlace(v.raw)).toBe(orUndefined(v.normalized));
  });
});
