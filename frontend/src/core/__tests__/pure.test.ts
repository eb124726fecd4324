import { createHash } from 'node:crypto';
import { stripEmpty, toNumber } from '../clean';
import { hashEmail, hashPhone, normalizeEmail, normalizePhone } from '../hashing';
import { newEventId } from '../ids';
import { consentState } from '../consent';
import { captureTtclid } from '../attribution';
import { browserEventName } from '../eventNames';
import { hoistImports } from '../../../../scripts/build-frontend';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('normalization and hashing', () => {
  it('normalizes e-mails by trimming and lowercasing', () => {
    expect(normalizeEmail('  Jane.Doe@Example.COM ')).toBe('jane.doe@example.com');
    expect(normalizeEmail('not an email')).toBe('');
  });

  it.each([
    ['+32 470 12 34 56', '+32470123456'],
    ['+32 (0)470 12-34-56', '+32470123456'],
    ['0032 470 123456', '+32470123456'],
    ['(555) 123-4567 8', '+55512345678'],
    ['+86 138 0013 8000', '13800138000'],
    ['0470 12 34 56', ''],
    ['12', ''],
  ])('normalizes phone %s to %s', (raw, expected) => {
    expect(normalizePhone(raw)).toBe(expected);
  });

  it('uses a default calling code and drops the trunk 0', () => {
    expect(normalizePhone('0470 12 34 56', '+32')).toBe('+32470123456');
  });

  it('hashes normalized values with SHA-256 and passes existing hashes through', async () => {
    expect(await hashEmail(' Jane@Example.com')).toBe(sha('jane@example.com'));
    expect(await hashPhone('+32 470 12 34 56')).toBe(sha('+32470123456'));
    const already = sha('x').toUpperCase();
    expect(await hashEmail(already)).toBe(already.toLowerCase());
    expect(await hashEmail('')).toBeUndefined();
  });
});

describe('ids', () => {
  it('uses crypto.randomUUID when present and a v4 fallback otherwise', () => {
    expect(newEventId()).toMatch(UUID_V4);
    const fallback = newEventId({ getRandomValues: (a) => globalThis.crypto.getRandomValues(a) });
    expect(fallback).toMatch(UUID_V4);
    expect(new Set(Array.from({ length: 50 }, () => newEventId({} as Crypto))).size).toBe(50);
  });
});

describe('cleaning', () => {
  it('drops empty strings, nulls, NaN, empty arrays and objects, deeply', () => {
    expect(stripEmpty({ a: '', b: null, c: [], d: {}, e: { f: [{ g: '' }] }, h: 0, i: 'x', j: NaN, k: [1, null] })).toEqual({
      h: 0,
      i: 'x',
      k: [1],
    });
  });

  it('parses prices in both decimal conventions', () => {
    expect(toNumber('1,350.50')).toBe(1350.5);
    expect(toNumber('1.350,50')).toBe(1350.5);
    expect(toNumber('$ 63.00')).toBe(63);
    expect(toNumber('')).toBeUndefined();
  });
});

describe('consent and attribution', () => {
  it('reads Odoo cookie bar choices', () => {
    expect(consentState({ cookie: '' }, false)).toBe('not_required');
    expect(consentState({ cookie: '' }, true)).toBe('pending');
    const cookie = (optional: boolean) => `a=1; website_cookies_bar=${encodeURIComponent(JSON.stringify({ required: true, optional }))}`;
    expect(consentState({ cookie: cookie(true) }, true)).toBe('granted');
    expect(consentState({ cookie: cookie(false) }, true)).toBe('denied');
  });

  it('keeps ttclid from the landing URL in a 30-day first-party cookie', () => {
    const writes: string[] = [];
    const jar = {
      get cookie() {
        return 'ttclid=E.C.P.old';
      },
      set cookie(v: string) {
        writes.push(v);
      },
    };
    expect(captureTtclid(jar, { search: '?ttclid=E.C.P.new&x=1', protocol: 'https:' })).toBe('E.C.P.new');
    expect(writes[0]).toBe('ttclid=E.C.P.new; Max-Age=2592000; Path=/; SameSite=Lax; Secure');
    expect(captureTtclid(jar, { search: '', protocol: 'https:' })).toBe('E.C.P.old');
  });

  it('resolves browser names from the per-pixel variants', () => {
    expect(browserEventName('SubmitForm', { Purchase: 'Purchase', SubmitForm: 'Lead' })).toBe('Lead');
    expect(browserEventName('Purchase', { Purchase: 'CompletePayment', SubmitForm: 'SubmitForm' })).toBe('CompletePayment');
  });
});

describe('build output for Odoo', () => {
  it('puts each import on its own line in the form Odoo transpiles', () => {
    const out = hoistImports('/* b */\nvar a=1;import{Interaction as k}from"@web/public/interaction";import{xml as x,Component as C}from"@odoo/owl";k(x,C);');
    expect(out).toBe(
      '/* b */\nimport { Interaction as k } from "@web/public/interaction";\nimport { xml as x, Component as C } from "@odoo/owl";\nvar a=1;k(x,C);',
    );
  });
});
