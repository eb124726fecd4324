import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { webLane } from '../lane';
import { buildEventRow, serializeTrackRequest } from '../payload';
import type { TikTokEventRow } from '../types';
import { CURRENCY_CODES, isCurrencyCode } from '../../contract/formats';
import { validateEventRow } from '../validate';

const now = 1_732_500_000;
const hash = 'a'.repeat(64);

function row(overrides: Partial<TikTokEventRow> = {}): TikTokEventRow {
  return { event: 'AddToCart', event_time: now - 10, event_id: 'e-1', ...overrides };
}

describe('validateEventRow', () => {
  it('accepts a complete row', () => {
    const r = row({
      user: { email: hash, phone: [hash], external_id: hash, ttclid: 'E.C.P.x', ttp: 'ttp', ip: '203.0.113.7', user_agent: 'UA' },
      properties: { contents: [{ content_id: '23', price: 675, quantity: 1 }], currency: 'USD', value: 675 },
    });
    expect(validateEventRow(r, { nowSeconds: now })).toEqual([]);
  });

  it.each<[string, Partial<TikTokEventRow>, RegExp]>([
    ['unknown event', { event: 'Buy' }, /not a TikTok event name/],
    ['empty event_id', { event_id: '' }, /event_id must be a non-empty string/],
    ['non-string event_id', { event_id: 42 as unknown as string }, /event_id/],
    ['milliseconds', { event_time: now * 1000 }, /milliseconds/],
    ['fractional time', { event_time: now + 0.5 }, /integer/],
    ['future time', { event_time: now + 3600 }, /in the future/],
    ['eight days old', { event_time: now - 8 * 86400 }, /8 days old/],
    ['value as string', { properties: { value: '10' as unknown as number, currency: 'USD' } }, /value must be a number/],
    ['value without currency', { properties: { value: 10 } }, /needs properties.currency/],
    ['lowercase currency', { properties: { value: 1, currency: 'usd' } }, /ISO 4217/],
    ['numeric content_id', { properties: { contents: [{ content_id: 23 as unknown as string }] } }, /content_id must be a non-empty string/],
    ['price as string', { properties: { contents: [{ content_id: '1', price: '1' as unknown as number }] } }, /price must be a number/],
    ['plain email', { user: { email: 'john@example.com' } }, /user.email must be a lowercase SHA-256/],
    ['uppercase hash', { user: { phone: hash.toUpperCase() } }, /user.phone/],
    ['numeric ip', { user: { ip: 1 as unknown as string } }, /user.ip must be a string/],
  ])('refuses %s with a readable reason', (_name, overrides, reason) => {
    const reasons = validateEventRow(row(overrides), { nowSeconds: now });
    expect(reasons.join(' | ')).toMatch(reason);
  });

  it('accepts Pageview, CompletePayment and Lead, the server spellings', () => {
    for (const event of ['Pageview', 'CompletePayment', 'Lead']) expect(validateEventRow(row({ event }), { nowSeconds: now })).toEqual([]);
  });
});

describe('buildEventRow', () => {
  it('strips empty values but keeps the identity of the event', () => {
    const built = buildEventRow({
      event: 'Search',
      eventId: 'e-9',
      eventTime: now,
      user: { email: '', ttclid: undefined, ip: '203.0.113.7' },
      properties: { query: 'desk', contents: [] },
      page: { url: 'https://shop.example/shop?search=desk', referrer: '' },
    });
    expect(built).toEqual({
      event: 'Search',
      event_id: 'e-9',
      event_time: now,
      user: { ip: '203.0.113.7' },
      properties: { query: 'desk' },
      page: { url: 'https://shop.example/shop?search=desk' },
    });
  });
});

describe('serializeTrackRequest', () => {
  it('writes the Events API request around rows already serialized, the test code only when set, partner_name always', () => {
    const rows = [row(), row({ event_id: 'e-2', properties: { value: 1, currency: 'EUR' } })];
    const text = serializeTrackRequest(webLane('CABCDEFGH12345678'), rows.map((r) => JSON.stringify(r)), 'TEST1');
    expect(JSON.parse(text)).toEqual({ event_source: 'web', event_source_id: 'CABCDEFGH12345678', partner_name: 'Odoo', test_event_code: 'TEST1', data: rows });
    expect(JSON.parse(serializeTrackRequest(webLane('CABCDEFGH12345678'), [JSON.stringify(row())]))).toEqual({
      event_source: 'web',
      event_source_id: 'CABCDEFGH12345678',
      partner_name: 'Odoo',
      data: [row()],
    });
  });
});

describe('currency codes', () => {
  it.each(['USD', 'EUR', 'IDR', 'VND', 'XOF', 'XCG', 'ZWG', 'VES', 'CLF', 'HRK'])('accepts %s', (code) => {
    expect(isCurrencyCode(code)).toBe(true);
    expect(validateEventRow(row({ properties: { value: 1, currency: code } }), { nowSeconds: now })).toEqual([]);
  });

  it.each(['ABC', 'XXX', 'XTS', 'XAU', 'usd', 'US', 'USDD', 'CNH', 'ZIG', ''])('refuses %s', (code) => {
    expect(isCurrencyCode(code)).toBe(false);
    expect(validateEventRow(row({ properties: { value: 1, currency: code } }), { nowSeconds: now }).join()).toMatch(/ISO 4217/);
  });

  it('knows every currency the runtime knows, but units of account', () => {
    const unitsOfAccount = ['XDR', 'XSU'];
    const missing = Intl.supportedValuesOf('currency').filter((code) => !CURRENCY_CODES.has(code) && !unitsOfAccount.includes(code));
    expect(missing).toEqual([]);
  });

  // Odoo's own currency list, read from its source when it is on this machine (scripts/odooDev.ts finds it the same way).
  const odooCurrencies = path.join(process.env.ODOO_SRC || path.join(os.homedir(), '.cache', 'odoo-src', '19.0'), 'odoo/addons/base/data/res_currency_data.xml');
  (fs.existsSync(odooCurrencies) ? it : it.skip)('knows every currency Odoo 19 ships, but its two that are not ISO 4217', () => {
    const codes = [...fs.readFileSync(odooCurrencies, 'utf8').matchAll(/<field name="name">([A-Z]{3})<\/field>/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(150);
    // CNH is the offshore yuan (a market name, not ISO 4217); ZIG is Odoo's spelling of ISO's ZWG.
    expect(codes.filter((code) => !isCurrencyCode(code)).sort()).toEqual(['CNH', 'ZIG']);
  });
});
