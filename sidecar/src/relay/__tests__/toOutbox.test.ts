import { RelayEventSchema } from '../../contract/relay';
import { completenessReasons, validateEventRow } from '../../tiktok/validate';
import { BROWSER_UA, relayEvent, SHOP, website } from '../../../../tests/helpers/sidecar';
import { decideRelayEvent, relayedOutboxEvent, type RelayRules } from '../toOutbox';

const NOW = 1_780_000_000;
const HASH = 'c'.repeat(64);
const RULES: RelayRules = { limits: { value: 1e9, price: 1e9, quantity: 1e4 }, extraOrigins: [] };
const CTX = { ip: '203.0.113.7', userAgent: BROWSER_UA, nowSeconds: NOW };
const ALL_KEYS = website({ matchKeys: 'contact_name_address', eventNames: { Purchase: 'CompletePayment', SubmitForm: 'Lead' } });

/**
 * Events the relay's contract accepts, chosen at the edges of every rule of a row:
 * times out of TikTok's window, places and text that the build rewrites or drops,
 * values emptied by the build, every hashed key, every event a browser may send.
 */
const EDGES: [string, Record<string, unknown>][] = [
  ['an ordinary event', relayEvent()],
  ['a value without a currency', relayEvent({ properties: { value: 5 } })],
  ['a content id of blanks', relayEvent({ properties: { contents: [{ content_id: '   ', quantity: 1 }, { content_id: '7' }, { content_id: '\t', content_name: 'Desk' }, { content_id: ' ' }] } })],
  ['both at once', relayEvent({ properties: { value: 0, contents: [{ content_id: ' ', price: 2 }] } })],
  ['a content id that is an email', relayEvent({ properties: { contents: [{ content_id: 'jane@example.com' }], currency: 'EUR', value: 1 } })],
  ['an hour-old client clock', relayEvent({ event_time: NOW - 3601 })],
  ['a client clock in the future', relayEvent({ event_time: NOW + 301 })],
  ['milliseconds', relayEvent({ event_time: NOW * 1000 })],
  ['the first second of 1970', relayEvent({ event_time: 1 })],
  ['a time within the window', relayEvent({ event_time: NOW - 60 })],
  ['every hashed key, lists included', relayEvent({ user: { email: [HASH, HASH], phone: HASH, external_id: [HASH], first_name: HASH, last_name: HASH, zip_code: HASH } })],
  ['places to normalize or drop', relayEvent({ user: { city: 'New  York!', state: '  ', country: 'call +1 555 0100 000', ttclid: 'not a click id', ttp: '\u0000', locale: 'en-US' } })],
  ['free text with contact data', relayEvent({ properties: { query: 'jane@example.com', description: '  ', order_id: 'jane@example.com', currency: 'USD', value: 1 } })],
  ['a foreign referrer and page', relayEvent({ page: { url: 'https://elsewhere.example/x?email=jane@example.com', referrer: 'https://search.example/?q=desk' } })],
  ['an empty referrer', relayEvent({ page: { url: `${SHOP}/`, referrer: '' } })],
  ['empty objects', relayEvent({ user: {}, properties: {}, page: undefined })],
  ['a pageview', relayEvent({ event: 'PageView', properties: undefined })],
  ['a form', relayEvent({ event: 'SubmitForm', properties: undefined })],
  ['the longest event id', relayEvent({ event_id: 'e'.repeat(128) })],
];

describe('relay: each event is checked once on its way to the outbox', () => {
  it.each(EDGES)('%s: the row built from an event the contract accepts fails the full row check only where the relay checks it', (_name, input) => {
    const event = RelayEventSchema.parse(input);
    for (const settings of [website(), ALL_KEYS]) {
      for (const ctx of [CTX, { nowSeconds: NOW }]) {
        const { row } = relayedOutboxEvent(event, settings, ctx, RULES);
        expect(completenessReasons(row)).toEqual(validateEventRow(row, { nowSeconds: NOW }));
      }
    }
  });

  it('refuses a row the build left incomplete, in the row check\'s words', () => {
    const decide = (input: Record<string, unknown>) => decideRelayEvent(RelayEventSchema.parse(input), website(), CTX, RULES);
    expect(decide(relayEvent({ properties: { value: 5 } }))).toMatchObject({ kind: 'refuse', status: 400, error: 'invalid_event', detail: 'properties.value needs properties.currency' });
    expect(decide(relayEvent({ properties: { value: 0, contents: [{ content_id: ' ', price: 2 }] } }))).toMatchObject({
      kind: 'refuse',
      error: 'invalid_event',
      detail: 'properties.value needs properties.currency; properties.contents[0].content_id must be a non-empty string',
    });
    expect(decide(relayEvent())).toMatchObject({ kind: 'store' });
  });
});

describe('relay: what the page said of the pixel (counting only)', () => {
  const decide = (input: Record<string, unknown>) => decideRelayEvent(RelayEventSchema.parse(input), website(), CTX, RULES);

  it('carries it beside the row for the report, and the row TikTok gets is the same whatever it says', () => {
    const said = (['loaded', 'blocked', undefined] as const).map((pixel) => decide(relayEvent({ event_id: 'same-id', pixel })));
    for (const decision of said) expect(decision.kind).toBe('store');
    const stored = said.map((d) => (d.kind === 'store' ? d.event : undefined));
    expect(stored.map((e) => e?.pixel)).toEqual(['loaded', 'blocked', undefined]);
    // a forged "blocked" changes what is counted, never what is delivered
    expect(stored[1]?.row).toEqual(stored[0]?.row);
    expect(stored[2]?.row).toEqual(stored[0]?.row);
    expect(JSON.stringify(stored[1]?.row)).not.toContain('blocked');
  });

  it('refuses any other word', () => {
    expect(RelayEventSchema.safeParse(relayEvent({ pixel: 'maybe' })).success).toBe(false);
    expect(RelayEventSchema.safeParse(relayEvent({ pixel: true })).success).toBe(false);
  });
});
