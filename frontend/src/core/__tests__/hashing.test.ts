/** @jest-environment jsdom */
import { webcrypto } from 'node:crypto';
import { TextEncoder } from 'node:util';
import { orUndefined, VECTORS } from '../../../../tests/vectors/contractVectors';
import { hashContact, hashEmail, hashPhone, normalizeEmail, type PhoneReading } from '../hashing';
import { normalizePhone } from '../../phone/main';

// The browser hashes with WebCrypto (crypto.subtle), which jsdom lacks: Node's
// implementation of the same API stands in. The cases are those of
// tests/vectors/contract.json, which the sidecar's and the module's tests read too.
// The phone rule is the one the page loads on demand (frontend/src/phone/main.ts).
beforeAll(() => {
  if (!globalThis.crypto?.subtle) Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
  if (!globalThis.TextEncoder) Object.defineProperty(globalThis, 'TextEncoder', { value: TextEncoder, configurable: true });
});

describe('browser hashing against the shared vectors', () => {
  it.each(VECTORS.email.map((v) => [JSON.stringify(v.raw), v] as const))('e-mail %s', async (_raw, v) => {
    expect(normalizeEmail(v.raw)).toBe(v.normalized ?? '');
    expect(await hashEmail(v.raw)).toBe(orUndefined(v.sha256));
  });

  it.each(VECTORS.phone.map((v) => [JSON.stringify(v.raw), v.country, v] as const))('phone %s (country %s)', async (_raw, _country, v) => {
    const reading: PhoneReading = { loadRule: async () => normalizePhone, country: orUndefined(v.country) };
    expect(await hashPhone(v.raw, reading)).toBe(orUndefined(v.sha256));
  });

  it.each(VECTORS.already_hashed.filter((v) => v.key !== 'external_id').map((v) => [v.key, JSON.stringify(v.raw), v] as const))(
    '%s %s passes through, lowercased',
    async (_key, _raw, v) => {
      const reading: PhoneReading = { loadRule: async () => normalizePhone };
      expect(await (v.key === 'email' ? hashEmail(v.raw) : hashPhone(v.raw, reading))).toBe(v.sha256);
    },
  );
});

describe('the phone rule loaded on demand', () => {
  const digest = VECTORS.phone.find((v) => v.raw === '+32 470 12 34 56')!.sha256;

  it('is loaded only for a phone number to hash', async () => {
    const loadRule = jest.fn(async () => normalizePhone);
    for (const raw of ['', '   ', null, undefined, VECTORS.already_hashed.find((v) => v.key === 'phone')!.raw]) await hashPhone(raw, { loadRule });
    expect(loadRule).not.toHaveBeenCalled();
    expect(await hashPhone('+32 470 12 34 56', { loadRule })).toBe(digest);
    expect(loadRule).toHaveBeenCalledTimes(1);
  });

  it('gives no phone key, and says so, when it cannot be loaded', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(await hashPhone('+32 470 12 34 56', { loadRule: () => Promise.reject(new Error('offline')) })).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('phone number rule could not be loaded'));
    } finally {
      warn.mockRestore();
    }
  });
});

/** The phone rule as the page loads it, for forms without a phone. */
const PAGE_PHONE_RULE: PhoneReading = { loadRule: async () => normalizePhone };

describe('a form\'s name and address, hashed in the browser as the module hashes a partner\'s', () => {
  it.each(VECTORS.person_name.map((v) => [JSON.stringify(v.raw), v] as const))('name %s', async (_raw, v) => {
    const keys = await hashContact(PAGE_PHONE_RULE, undefined, undefined, { name: v.raw });
    expect(keys).toEqual(stripUndefined({ first_name: v.first_name_sha256, last_name: v.last_name_sha256 }));
  });

  it.each(VECTORS.zip_code.map((v) => [JSON.stringify(v.raw), v] as const))('postal code %s', async (_raw, v) => {
    expect((await hashContact(PAGE_PHONE_RULE, undefined, undefined, { zip: v.raw })).zip_code).toBe(orUndefined(v.sha256));
  });

  it.each(VECTORS.place.map((v) => [JSON.stringify(v.raw), v] as const))('city %s, plain', async (_raw, v) => {
    expect((await hashContact(PAGE_PHONE_RULE, undefined, undefined, { city: v.raw })).city).toBe(orUndefined(v.normalized));
  });
});

function stripUndefined(keys: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(keys).filter((entry): entry is [string, string] => entry[1] !== null));
}
