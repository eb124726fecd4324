import { REPORT_LIMITS } from '../../contract/report';
import { RelayEventSchema } from '../../contract/relay';
import { ClaimedPurchaseSchema } from '../../contract/purchase';
import { buildPurchaseEvent } from '../../poller/purchaseEvent';
import { decideRelayEvent } from '../../relay/toOutbox';
import { PIXEL, SHOP, website } from '../../../../tests/helpers/sidecar';
import type { SettledRow } from '../../dispatcher/dispatcher';
import { Interval, type ContentCount } from '../interval';
import { ReportTally } from '../tally';

const OTHER_PIXEL = 'COTHERPIXEL000000002';

type Contents = unknown[];

/** A delivered row as the outbox stores it: its JSON text. */
const row = (event: string, contents?: Contents, pixelId = PIXEL): SettledRow => ({
  pixelId,
  event,
  createdAt: 1000,
  payload: JSON.stringify({ event, event_time: 1_732_500_000, event_id: `e-${Math.random()}`, ...(contents ? { properties: { contents } } : {}) }),
});

const ids = (...contentIds: string[]): Contents => contentIds.map((content_id) => ({ content_id }));

function deliver(rows: SettledRow[], interval = new Interval()): Interval {
  for (const r of rows) interval.delivered(r, 2000);
  return interval;
}

/** The interval's content counts in a stable order (code units), without their pixel when it is the usual one. */
const counted = (interval: Interval): Array<Omit<ContentCount, 'pixelId'> & { pixelId?: string }> =>
  [...interval.contents.entries.values()]
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0))
    .map(({ pixelId, ...rest }) => (pixelId === PIXEL ? rest : { pixelId, ...rest }));
const sortKey = (c: ContentCount) => [c.event, c.content_type, c.content_id, c.pixelId].join('\u0000');

describe('the content ids of delivered events', () => {
  it('counts each content id per pixel, event name and content type', () => {
    const interval = deliver([
      row('ViewContent', ids('FURN_0096')),
      row('ViewContent', ids('FURN_0096')),
      row('AddToCart', ids('FURN_0096', 'FURN_0097')),
      row('ViewContent', ids('FURN_0096'), OTHER_PIXEL),
      row('ViewContent'), // no contents: nothing to count
      row('AddToCart', []),
    ]);
    expect(counted(interval)).toEqual([
      { event: 'AddToCart', content_type: 'product', content_id: 'FURN_0096', count: 1 },
      { event: 'AddToCart', content_type: 'product', content_id: 'FURN_0097', count: 1 },
      { pixelId: OTHER_PIXEL, event: 'ViewContent', content_type: 'product', content_id: 'FURN_0096', count: 1 },
      { event: 'ViewContent', content_type: 'product', content_id: 'FURN_0096', count: 2 },
    ]);
    expect(interval.contents.unrecorded).toBe(0);
  });

  it('keeps product_group, and reads an absent or unknown content type as product (TikTok\'s default)', () => {
    const interval = deliver([
      row('ViewContent', [
        { content_id: 'TMPL_12', content_type: 'product_group' },
        { content_id: 'FURN_1', content_type: 'product' },
        { content_id: 'FURN_2' },
        { content_id: 'FURN_3', content_type: 'sku' },
      ]),
    ]);
    expect(counted(interval).map((c) => [c.content_type, c.content_id])).toEqual([
      ['product', 'FURN_1'],
      ['product', 'FURN_2'],
      ['product', 'FURN_3'],
      ['product_group', 'TMPL_12'],
    ]);
  });

  it('counts an id once per event however often its contents list it; the same id as a product and a group twice', () => {
    const interval = deliver([
      row('AddToCart', [{ content_id: 'FURN_1' }, { content_id: 'FURN_1', content_type: 'product' }, { content_id: 'FURN_1', content_type: 'product_group' }]),
      row('AddToCart', ids('FURN_1')),
    ]);
    expect(counted(interval)).toEqual([
      { event: 'AddToCart', content_type: 'product', content_id: 'FURN_1', count: 2 },
      { event: 'AddToCart', content_type: 'product_group', content_id: 'FURN_1', count: 1 },
    ]);
  });

  it('counts Purchase under the name the counters carry (CompletePayment where the pixel sends that)', () => {
    const interval = deliver([row('CompletePayment', ids('FURN_1')), row('Purchase', ids('FURN_1'))]);
    expect(counted(interval).map((c) => [c.event, c.count])).toEqual([
      ['CompletePayment', 1],
      ['Purchase', 1],
    ]);
    expect([...interval.events.get(PIXEL)!.keys()].sort()).toEqual(['CompletePayment', 'Purchase']);
  });

  it('counts nothing of the other events, and does not parse their rows', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const others = ['Pageview', 'Search', 'AddToWishlist', 'InitiateCheckout', 'PlaceAnOrder', 'AddPaymentInfo'].map((event) => row(event, ids('FURN_1')));
      const interval = deliver(others);
      expect(interval.contents.entries.size).toBe(0);
      expect(interval.contents.unrecorded).toBe(0);
      expect(interval.events.get(PIXEL)?.get('Search')?.delivered).toBe(1);
      expect(parse).not.toHaveBeenCalled();
      // Nor a counted event's row without contents.
      deliver([row('ViewContent'), row('AddToCart', undefined)], interval);
      expect(parse).not.toHaveBeenCalled();
      deliver([row('ViewContent', ids('FURN_1'))], interval);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('reports only ids of 1 to 128 characters without control characters: the others count as unrecorded', () => {
    const longest = 'x'.repeat(128);
    const interval = deliver([
      row('ViewContent', [
        { content_id: longest },
        { content_id: 'Fauteuil 🪑 n°1' },
        { content_id: 'x'.repeat(129) },
        { content_id: 'FURN\u00001' },
        { content_id: 'FURN\n1' },
        { content_id: 'FURN\u00851' },
        { content_id: 'FURN\ud8001' }, // a lone surrogate: no database stores it
        { content_id: '' },
        { content_id: 42 },
        { content_type: 'product' },
        null,
        'FURN_1', // not an entry at all
      ]),
      row('AddToCart', 'FURN_1' as unknown as Contents), // nor a list
    ]);
    expect(counted(interval).map((c) => c.content_id)).toEqual(['Fauteuil 🪑 n°1', longest]);
    expect(interval.contents.unrecorded).toBe(10);
  });

  it(`holds at most ${REPORT_LIMITS.maxContents} ids whatever a flood of forged ids sends; a new id past them is unrecorded`, () => {
    const max = REPORT_LIMITS.maxContents;
    const flood = Array.from({ length: max }, (_, i) => row('ViewContent', ids(`FORGED_${i}`)));
    const interval = deliver(flood);
    expect(interval.contents.entries.size).toBe(max);
    deliver([row('ViewContent', ids('FORGED_0', `FORGED_${max}`)), row('AddToCart', ids('FORGED_0'))], interval);
    expect(interval.contents.entries.size).toBe(max);
    expect(interval.contents.unrecorded).toBe(2); // the new id, and the known id under a new event name
    expect(counted(interval).find((c) => c.content_id === 'FORGED_0' && c.event === 'ViewContent')?.count).toBe(2);
  });

  it('keeps the bound when a failed report\'s interval is folded into the next one', () => {
    const max = REPORT_LIMITS.maxContents;
    const half = (from: number) => deliver(Array.from({ length: max / 2 + 500 }, (_, i) => row('ViewContent', ids(`ID_${from + i}`))));
    const first = half(0); // ID_0 .. ID_1499
    const second = half(1000); // ID_1000 .. ID_2499: 500 shared with the first
    deliver([row('ViewContent', ids('x'.repeat(129)))], second);
    first.add(second);
    expect(first.contents.entries.size).toBe(max);
    // 2500 distinct ids: the first 2000 kept, the last 500 unrecorded, plus the second's own unrecorded one.
    expect(first.contents.unrecorded).toBe(501);
    expect(counted(first).find((c) => c.content_id === 'ID_1200')?.count).toBe(2);
    expect(counted(first).find((c) => c.content_id === 'ID_2499')).toBeUndefined();
  });

  it('counts the ids as the relay and the Purchase poller store them (a contact-data id is dropped before it is stored)', () => {
    const relayed = RelayEventSchema.parse({
      pixel_id: PIXEL,
      event: 'ViewContent',
      event_id: 'e-1',
      page: { url: `${SHOP}/shop/chair-96` },
      properties: { contents: [{ content_id: 'FURN_0096', content_type: 'product', price: 12 }, { content_id: 'victim@example.com' }] },
    });
    const decision = decideRelayEvent(relayed, website(), { nowSeconds: 1_732_500_000 }, { limits: { value: 1e9, price: 1e9, quantity: 1e4 }, extraOrigins: [] });
    if (decision.kind !== 'store') throw new Error(`the relay refused a test row: ${JSON.stringify(decision)}`);
    const purchase = ClaimedPurchaseSchema.parse({
      order_id: 1, website_id: 1, event_id: 'purchase-1', event_time: 1_732_500_000, order_name: 'S00001', value: 10, currency: 'EUR',
      contents: [{ content_id: 'FURN_0096', price: 10, quantity: 1 }],
      user: { external_id: 'a'.repeat(64) },
      page_url: `${SHOP}/shop/confirmation`,
    });
    const stored = [decision.event.row, buildPurchaseEvent(purchase, website({ eventNames: { Purchase: 'CompletePayment', SubmitForm: 'SubmitForm' } })).row];
    const interval = deliver(stored.map((r) => ({ pixelId: PIXEL, event: r.event, createdAt: 1000, payload: JSON.stringify(r) })));
    expect(counted(interval)).toEqual([
      { event: 'CompletePayment', content_type: 'product', content_id: 'FURN_0096', count: 1 },
      { event: 'ViewContent', content_type: 'product', content_id: 'FURN_0096', count: 1 },
    ]);
  });

  it('reads the list from the row\'s text as a full parse would, whatever its texts quote', () => {
    const tricky = [']', '}]', '"]}', '\\', '\\"]', '[[{', '"contents":[{"content_id":"FORGED"}]', 'a"b\\"c]', '🪑]'];
    const rows: SettledRow[] = [];
    for (const [i, text] of tricky.entries()) {
      const relayed = RelayEventSchema.parse({
        pixel_id: PIXEL,
        event: i % 2 ? 'ViewContent' : 'AddToCart',
        event_id: `e-${i}`,
        page: { url: `${SHOP}/shop?q=${encodeURIComponent(text)}` },
        properties: {
          query: text,
          description: text,
          contents: [
            { content_id: `ID${text}`, content_name: text, content_category: text, brand: text },
            { content_id: text, content_type: 'product_group', content_name: text },
          ],
        },
      });
      const decision = decideRelayEvent(relayed, website(), { userAgent: `UA ${text}`, nowSeconds: 1_732_500_000 }, { limits: { value: 1e9, price: 1e9, quantity: 1e4 }, extraOrigins: [] });
      if (decision.kind !== 'store') throw new Error(`the relay refused a test row: ${JSON.stringify(decision)}`);
      rows.push({ pixelId: PIXEL, event: decision.event.row.event, createdAt: 1000, payload: JSON.stringify(decision.event.row) });
    }
    /** The reference: each row parsed whole. */
    const reference = new Map<string, number>();
    for (const r of rows) {
      const contents = (JSON.parse(r.payload) as { properties: { contents: Array<{ content_id: string; content_type?: string }> } }).properties.contents;
      for (const key of new Set(contents.map((c) => `${r.event}/${c.content_type ?? 'product'}/${c.content_id}`))) reference.set(key, (reference.get(key) ?? 0) + 1);
    }
    const interval = deliver(rows);
    expect(new Map(counted(interval).map((c) => [`${c.event}/${c.content_type}/${c.content_id}`, c.count]))).toEqual(reference);
    expect(reference.size).toBe(2 * tricky.length);
    expect(interval.contents.unrecorded).toBe(0);
  });

  it('counts only the web\'s deliveries: other sources\' Purchases are not the catalog\'s pixel events', () => {
    const tally = new ReportTally();
    tally.delivered([row('Purchase', ids('FURN_1'), 'offline:1:7300000000000000001'), row('Purchase', ids('FURN_2'), 'crm:1:7300000000000000001'), row('Purchase', ids('FURN_3'))], 1500);
    tally.retried([row('ViewContent', ids('FURN_4'))]);
    tally.dead([row('ViewContent', ids('FURN_5'))]);
    const { interval } = tally.take();
    expect(counted(interval).map((c) => c.content_id)).toEqual(['FURN_3']);
  });
});
