import { VECTORS } from '../../../../tests/vectors/contractVectors';
import { REDACTED } from '../../contract/privacy';
import { buildScrubbedEventRow } from '../scrub';
import type { EventInput } from '../payload';

const SHOP = ['https://shop.example'];
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.85 Safari/537.36';
const TTCLID = 'E.C.P.CqgBAbc123_-xyz';
const TTP = '2Ab3cD4eF5gH6iJ7kL8mN9oP0q';

function input(overrides: Partial<EventInput> = {}): EventInput {
  return { event: 'AddToCart', eventId: 'e-1', eventTime: 1_732_500_000, ...overrides };
}

describe('buildScrubbedEventRow', () => {
  it('leaves a clean event as it is', () => {
    const clean = input({
      user: { email: 'a'.repeat(64), ttclid: TTCLID, ttp: TTP, ip: '203.0.113.7', user_agent: UA },
      properties: { contents: [{ content_id: '23', content_name: 'Desk', content_category: 'Office', brand: 'Acme', price: 675 }], query: 'desk', order_id: 'S00042', currency: 'USD', value: 675 },
      page: { url: 'https://shop.example/shop?search=desk&utm_source=tiktok', referrer: 'https://shop.example/' },
    });
    expect(buildScrubbedEventRow(clean, SHOP)).toEqual({
      event: 'AddToCart',
      event_id: 'e-1',
      event_time: 1_732_500_000,
      user: clean.user,
      properties: clean.properties,
      page: clean.page,
    });
  });

  it('keeps secrets out of page addresses and drops a referrer from elsewhere', () => {
    const row = buildScrubbedEventRow(
      input({ page: { url: 'https://user:pw@shop.example/web/reset_password?token=abc123&db=x#frag', referrer: 'https://www.google.com/search?q=jane' } }),
      SHOP,
    );
    expect(row.page).toEqual({ url: 'https://shop.example/web/reset_password' });
  });

  it('drops a page of another site, keeping the event', () => {
    const row = buildScrubbedEventRow(input({ page: { url: 'https://evil.example/x' }, properties: { query: 'desk' } }), SHOP);
    expect(row.page).toBeUndefined();
    expect(row.properties).toEqual({ query: 'desk' });
  });

  it('redacts contact data in free text and drops an order reference that carries some', () => {
    const row = buildScrubbedEventRow(
      input({
        properties: {
          query: 'jane.doe@mail.com',
          description: 'call me on +32 470 12 34 56',
          order_id: 'jane@mail.com',
          contents: [{ content_id: '1', content_name: 'gift for joe%40mail.org', content_category: '0470/12.34.56', brand: 'a@b.io' }],
        },
      }),
      SHOP,
    );
    expect(row.properties).toEqual({
      query: REDACTED,
      description: `call me on ${REDACTED}`,
      contents: [{ content_id: '1', content_name: `gift for ${REDACTED}`, content_category: REDACTED, brand: REDACTED }],
    });
  });

  it('drops attribution ids and user agents that are not what they claim to be', () => {
    const row = buildScrubbedEventRow(
      input({ user: { ttclid: 'jane@mail.com', ttp: '<script>alert(1)</script>', user_agent: `${UA} jane@mail.com`, ip: '203.0.113.7' } }),
      SHOP,
    );
    expect(row.user).toEqual({ ip: '203.0.113.7' });
  });

  it('bounds nothing by origin when none are given (a website without domains)', () => {
    const row = buildScrubbedEventRow(input({ page: { url: 'https://other.example/shop/confirmation?access_token=x' } }));
    expect(row.page).toEqual({ url: 'https://other.example/shop/confirmation' });
  });
});

describe('buildScrubbedEventRow: every field that reaches TikTok', () => {
  const { free_text: texts } = VECTORS.scrub;

  it.each(texts.map((c) => [c.note ?? c.raw, c] as const))('free text in every free-text field: %s', (_name, { raw, scrubbed }) => {
    const row = buildScrubbedEventRow(
      input({ properties: { query: raw, description: raw, contents: [{ content_id: '1', content_name: raw, content_category: raw, brand: raw }] } }),
      SHOP,
    );
    expect(row.properties).toEqual({ query: scrubbed, description: scrubbed, contents: [{ content_id: '1', content_name: scrubbed, content_category: scrubbed, brand: scrubbed }] });
  });

  it.each(VECTORS.scrub.references.map((c) => [c.note ?? c.raw, c] as const))('references: %s', (_name, { raw, contact_data }) => {
    const row = buildScrubbedEventRow(input({ properties: { order_id: raw, shop_id: raw, contents: [{ content_id: raw, price: 1 }, { content_id: '2', price: 2 }] } }));
    const kept = contact_data ? {} : { order_id: raw, shop_id: raw };
    const contents = contact_data ? [{ content_id: '2', price: 2 }] : [{ content_id: raw, price: 1 }, { content_id: '2', price: 2 }];
    expect(row.properties).toEqual({ ...kept, contents });
  });

  it('keeps order references that look like numbers, of any source', () => {
    for (const order_id of ['Boutique 2 - 000005', 'Shop/0001', 'S00042', 'INV/2026/00001']) {
      expect(buildScrubbedEventRow(input({ properties: { order_id } })).properties).toEqual({ order_id });
    }
  });

  it('drops the content whose id is contact data, keeping the others', () => {
    const row = buildScrubbedEventRow(input({ properties: { contents: [{ content_id: 'victim@example.com', price: 5 }, { content_id: '23', price: 675 }] } }));
    expect(row.properties?.contents).toEqual([{ content_id: '23', price: 675 }]);
  });

  it.each([
    ['ttclid', { ttclid: '0032470123456' }],
    ['ttp', { ttp: 'victim.example.com' }],
    ['a ttp of digits', { ttp: '00324701234560032470123456' }],
    ['an ip that is no address', { ip: 'victim@example.com' }],
    ['a locale that is no locale', { locale: 'call 0470 12 34 56' }],
  ])('drops %s that is not what it claims to be', (_name, user) => {
    expect(buildScrubbedEventRow(input({ user: { external_id: 'a'.repeat(64), ...user } })).user).toEqual({ external_id: 'a'.repeat(64) });
  });

  it('keeps attribution ids of TikTok\'s shapes, and ip and locale as they are', () => {
    const user = { ttclid: 'E_C_P_CuIBb2ZmaWNl', ttp: '01K9ZQ4M7XH2C8R5T3VWB6NJ0E_.tt.1', ip: '2001:db8::7', locale: 'fr_BE' };
    expect(buildScrubbedEventRow(input({ user })).user).toEqual(user);
  });

  it('drops a city, state or country that held contact data rather than send it normalized', () => {
    const row = buildScrubbedEventRow(input({ user: { city: 'victim＠example.com', state: '0470 12 34 56', country: 'BE' } }));
    expect(row.user).toEqual({ country: 'be' });
  });

  it('replaces the secret segments of a path, keeping the page', () => {
    const row = buildScrubbedEventRow(input({ page: { url: 'https://shop.example/survey/start/3f2504e0-4f89-11d3-9a0c-0305e82c3301?ttclid=0032470123456' } }), SHOP);
    expect(row.page).toEqual({ url: `https://shop.example/survey/start/${REDACTED}` });
  });
});
