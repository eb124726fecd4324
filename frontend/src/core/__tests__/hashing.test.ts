/** @jest-environment jsdom */
import { webcrypto } from 'node:crypto';
import { TextEncoder } from 'node:util';
import { orUndefined, VECTORS } from '../../../../tests/vectors/contractVectors';
import { hashContact, hashEmail, hashPhone, normalizeEmail, normalizePhone } from '../hashing';

// The browser hashes with WebCrypto (crypto.subtle), which jsdom lacks: Node's
// implementation of the same API stands in. The cases are those of
// tests/vectors/contract.json, which the sidecar's and the module's tests read too.
beforeAll(() => {
  if (!globalThis.crypto?.subtle) Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
  if (!globalThis.TextEncoder) Object.defineProperty(globalThis, 'TextEncoder', { value: TextEncoder, configurable: true });
});

describe('browser hashing against the shared vectors', () => {
  it.each(VECTORS.email.map((v) => [JSON.stringify(v.raw), v] as const))('e-mail %s', async (_raw, v) => {
    expect(normalizeEmail(v.raw)).toBe(v.normalized ?? '');
    expect(await hashEmail(v.raw)).toBe(orUndefined(v.sha256));
  });

  it.each(VECTORS.phone.map((v) => [JSON.stringify(v.raw), v.calling_code, v] as const))('phone %s (calling code %s)', async (_raw, _code, v) => {
    const callingCode = orUndefined(v.calling_code);
    expect(normalizePhone(v.raw, callingCode)).toBe(v.e164 ?? '');
    expect(await hashPhone(v.raw, callingCode)).toBe(orUndefined(v.sha256));
  });

  it.each(VECTORS.already_hashed.filter((v) => v.key !== 'external_id').map((v) => [v.key, JSON.stringify(v.raw), v] as const))(
    '%s %s passes through, lowercased',
    async (_key, _raw, v) => {
      expect(await (v.key === 'email' ? hashEmail(v.raw) : hashPhone(v.raw))).toBe(v.sha256);
    },
  );
});

describe('a form\'s name and address, hashed in the browser as the module hashes a partner\'s', () => {
  it.each(VECTORS.person_name.map((v) => [JSON.stringify(v.raw), v] as const))('name %s', async (_raw, v) => {
    const keys = await hashContact(undefined, undefined, { name: v.raw });
    expect(keys).toEqual(stripUndefined({ first_name: v.first_name_sha256, last_name: v.last_name_sha256 }));
  });

  it.each(VECTORS.zip_code.map((v) => [JSON.stringify(v.raw), v] as const))('postal code %s', async (_raw, v) => {
    expect((await hashContact(undefined, undefined, { zip: v.raw })).zip_code).toBe(orUndefined(v.sha256));
  });

  it.each(VECTORS.place.map((v) => [JSON.stringify(v.raw), v] as const))('city %s, plain', async (_raw, v) => {
    expect((await hashContact(undefined, undefined, { city: v.raw })).city).toBe(orUndefined(v.normalized));
  });
});

function stripUndefined(keys: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(keys).filter((entry): entry is [string, string] => entry[1] !== null));
}
