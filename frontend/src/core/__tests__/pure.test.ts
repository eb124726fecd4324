import { createHash } from 'node:crypto';
import { stripEmpty, toNumber } from '../clean';
import { hashEmail, hashPhone, normalizeEmail } from '../hashing';
import { normalizePhone } from '../../phone/main';
import { newEventId } from '../ids';
import { consentState } from '../consent';
import { captureTtclid, readTtp } from '../attribution';
import { browserEventName } from '../eventNames';
import { cleanAddress, redactFreeText } from '../privacy';
import { hoistImports } from '../../../../scripts/buildFrontend';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('normalization and hashing', () => {
  it('normalizes e-mails by trimming and lowercasing', () => {
    expect(normalizeEmail('  Jane.Doe@Example.COM ')).toBe('jane.doe@example.com');
    expect(normalizeEmail('not an email')).toBe('');
  });

  it('hashes normalized values with SHA-256 and passes existing hashes through', async () => {
    expect(await hashEmail(' Jane@Example.com')).toBe(sha('jane@example.com'));
    expect(await hashPhone('0470 12 34 56', { loadRule: async () => normalizePhone, country: 'BE' })).toBe(sha('+32470123456'));
    const already = sha('x').toUpperCase();
    expect(await hashEmail(already)).toBe(already.toLowerCase());
    expect(await hashEmail('')).toBeUndefined();
  });
});

describe('ids', () => {
  it('builds uuid v4 ids from getRandomValues alone (plain-http shops have no randomUUID)', () => {
    expect(newEventId()).toMatch(UUID_V4);
    const filled = (byte: number) => ({ getRandomValues: <T extends ArrayBufferView | null>(a: T) => ((a as unknown as Uint8Array).fill(byte), a) });
    expect(newEventId(filled(0))).toBe('00000000-0000-4000-8000-000000000000');
    expect(newEventId(filled(0xff))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(new Set(Array.from({ length: 50 }, () => newEventId())).size).toBe(50);
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

  function recordingJar(cookie: string) {
    const writes: string[] = [];
    const jar = {
      get cookie() {
        return cookie;
      },
      set cookie(v: string) {
        writes.push(v);
      },
    };
    return { jar, writes };
  }

  it('keeps ttclid from the landing URL in a 30-day first-party cookie once the visitor allows it', () => {
    for (const consent of ['not_required', 'granted'] as const) {
      const { jar, writes } = recordingJar('ttclid=E.C.P.old-click');
      expect(captureTtclid(jar, { search: '?ttclid=E.C.P.new-click&x=1', protocol: 'https:' }, consent)).toBe('E.C.P.new-click');
      expect(writes).toEqual(['ttclid=E.C.P.new-click; Max-Age=2592000; Path=/; SameSite=Lax; Secure']);
    }
  });

  it('writes no ttclid cookie before consent, but the landing page still knows its click id', () => {
    for (const consent of ['pending', 'denied'] as const) {
      const { jar, writes } = recordingJar('');
      expect(captureTtclid(jar, { search: '?ttclid=E.C.P.new-click', protocol: 'https:' }, consent)).toBe('E.C.P.new-click');
      expect(writes).toEqual([]);
    }
  });

  it('writes the cookie only from a landing URL, and reads back only a well-formed click id', () => {
    const { jar, writes } = recordingJar('ttclid=E.C.P.old-click');
    expect(captureTtclid(jar, { search: '?utm_source=tiktok', protocol: 'https:' }, 'granted')).toBe('E.C.P.old-click');
    // a ttclid parameter that is not TikTok's shape is no landing: the kept click stays in force
    expect(captureTtclid(jar, { search: '?ttclid=%3Cscript%3E', protocol: 'https:' }, 'granted')).toBe('E.C.P.old-click');
    expect(writes).toEqual([]);
    expect(captureTtclid(recordingJar('ttclid=a%20b%40c.example').jar, { search: '', protocol: 'https:' }, 'granted')).toBeUndefined();
  });

  it('sends the _ttp cookie only when it has the pixel cookie shape', () => {
    expect(readTtp({ cookie: '_ttp=2fJ3kLmN0pQrStUv' })).toBe('2fJ3kLmN0pQrStUv');
    expect(readTtp({ cookie: '_ttp=jane%40example.com' })).toBeUndefined();
    expect(readTtp({ cookie: '' })).toBeUndefined();
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

describe('what leaves the browser', () => {
  it('cleans a page address: no secrets, no fragment, campaign tags and the click id kept', () => {
    expect(cleanAddress('https://shop.example/my/orders/7?access_token=s3cr3t&utm_source=tiktok&ttclid=E.C.P.abc123#top')).toBe(
      'https://shop.example/my/orders/7?utm_source=tiktok&ttclid=E.C.P.abc123',
    );
    expect(cleanAddress('https://shop.example/shop?search=jane%40example.com')).toBe('https://shop.example/shop');
  });

  it('keeps a referrer only when it is a page of the shop itself', () => {
    expect(cleanAddress('https://shop.example/shop?search=desk&token=x', 'https://shop.example')).toBe('https://shop.example/shop?search=desk');
    expect(cleanAddress('https://mail.example/inbox?u=jane', 'https://shop.example')).toBeUndefined();
    expect(cleanAddress('', 'https://shop.example')).toBeUndefined();
  });

  it('sends no address at all from a browser without URL.canParse, rather than a raw one', () => {
    const canParse = Object.getOwnPropertyDescriptor(URL, 'canParse')!;
    Object.defineProperty(URL, 'canParse', { value: undefined, configurable: true });
    try {
      expect(cleanAddress('https://shop.example/reset?token=s3cr3t')).toBeUndefined();
    } finally {
      Object.defineProperty(URL, 'canParse', canParse);
    }
  });

  it('redacts contact data in the free text properties, and only there', () => {
    const props = { query: 'jane@example.com +32 470 12 34 56 desk', description: 'call 0470123456', content_type: 'product', value: 12 };
    expect(redactFreeText(props)).toEqual({ query: '[redacted] [redacted] desk', description: 'call [redacted]', content_type: 'product', value: 12 });
    expect(props.query).toBe('jane@example.com +32 470 12 34 56 desk');
  });
});
