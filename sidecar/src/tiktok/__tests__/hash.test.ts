import { hashEmail, hashExternalId, hashPhone, sha256Hex } from '../hash';
import { isSha256Hex, normalizeEmail, normalizePhone } from '../normalize';

// Vectors computed with coreutils: printf %s '<value>' | sha256sum
const VECTORS = {
  'john@example.com': '855f96e983f1f8e8be944692b6f719fd54329826cb62e98015efee8e2e071dd4',
  '+32470123456': '80545f053bc9d3881cd0acf64147e86bc31eba1e2296ffe81e579ac8a52387ab',
  '13800138000': 'a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc',
  '+14155552671': 'cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928',
  '42': '73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049',
};

describe('sha256Hex', () => {
  it.each(Object.entries(VECTORS))('hashes %s to the coreutils digest', (input, digest) => {
    expect(sha256Hex(input)).toBe(digest);
  });
});

describe('email', () => {
  it('trims and lowercases before hashing', () => {
    expect(hashEmail('  John@Example.COM ')).toBe(VECTORS['john@example.com']);
  });
  it('refuses what is not an address', () => {
    expect(normalizeEmail('john')).toBeUndefined();
    expect(hashEmail('   ')).toBeUndefined();
  });
  it('passes an already hashed value through, lowercased', () => {
    expect(hashEmail(VECTORS['john@example.com'].toUpperCase())).toBe(VECTORS['john@example.com']);
  });
});

describe('phone (E.164)', () => {
  it.each([
    ['+32 470 12 34 56', undefined, '+32470123456'],
    ['0032 470/12.34.56', undefined, '+32470123456'],
    ['0470 12 34 56', '32', '+32470123456'],
    ['(415) 555-2671', '1', '+14155552671'],
    ['+1 415-555-2671', '44', '+14155552671'],
    ['+32 (0)470 12 34 56', undefined, '+32470123456'],
    ['4155552671', '+1', '+14155552671'],
  ])('%s (country %s) -> %s', (raw, cc, expected) => {
    expect(normalizePhone(raw, cc)).toBe(expected);
  });

  it('sends Chinese numbers without the +86 prefix, as TikTok asks', () => {
    expect(normalizePhone('+86 138 0013 8000')).toBe('13800138000');
    expect(normalizePhone('138-0013-8000', '86')).toBe('13800138000');
    expect(hashPhone('+86 13800138000')).toBe(VECTORS['13800138000']);
  });

  it('cannot place a national number without a country', () => {
    expect(normalizePhone('0470 12 34 56')).toBeUndefined();
  });

  it('refuses numbers too short or too long for E.164', () => {
    expect(normalizePhone('+32 12')).toBeUndefined();
    expect(normalizePhone('+1234567890123456')).toBeUndefined();
  });

  it('hashes the E.164 form', () => {
    expect(hashPhone('0470 12 34 56', '32')).toBe(VECTORS['+32470123456']);
  });
});

describe('external_id', () => {
  it('hashes the trimmed id string, numbers and strings alike', () => {
    expect(hashExternalId(42)).toBe(VECTORS['42']);
    expect(hashExternalId(' 42 ')).toBe(VECTORS['42']);
  });
  it('drops empty ids', () => {
    expect(hashExternalId('  ')).toBeUndefined();
  });
});

describe('isSha256Hex', () => {
  it('recognises 64 hex characters only', () => {
    expect(isSha256Hex(VECTORS['42'])).toBe(true);
    expect(isSha256Hex(VECTORS['42'].slice(1))).toBe(false);
    expect(isSha256Hex('z'.repeat(64))).toBe(false);
  });
});
