import { REDACTED } from '../privacy';
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
