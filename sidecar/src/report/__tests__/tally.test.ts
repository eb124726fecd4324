import { MATCH_KEYS, noCounts, type EventCounts } from '../../contract/report';
import { ClaimedPurchaseSchema } from '../../contract/purchase';
import { RelayEventSchema } from '../../contract/relay';
import { buildPurchaseEvent } from '../../poller/purchaseEvent';
import { decideRelayEvent } from '../../relay/toOutbox';
import { PIXEL, SHOP, website } from '../../../../tests/helpers/sidecar';
import type { SettledRow } from '../../dispatcher/dispatcher';
import { countMatchKeys, Interval, type MatchKeyCounts } from '../interval';
import { ReportTally } from '../tally';

const OTHER_PIXEL = 'COTHERPIXEL000000002';
const H = 'a'.repeat(64);

const row = (event: string, user?: Record<string, unknown>, pixelId = PIXEL, createdAt = 1000): SettledRow => ({
  pixelId,
  event,
  createdAt,
  payload: JSON.stringify({ event, event_time: 1_732_500_000, event_id: `e-${Math.random()}`, ...(user ? { user } : {}) }),
});

const countsOf = (interval: Interval, pixelId: string, event: string) => interval.events.get(pixelId)?.get(event);
/** Every count of an event, those not named 0. */
const counts = (some: Partial<EventCounts>): EventCounts => ({ ...noCounts(), ...some });

describe('ReportTally', () => {
  it('counts nothing of other sources\' lanes (the report has no place for them)', () => {
    const tally = new ReportTally();
    const crmLane = 'crm:1:7300000000000000001';
    tally.accepted([{ pixelId: crmLane, event: 'Qualified' }], [true]);
    tally.delivered([row('Qualified', { email: H }, crmLane)], 1500);
    tally.retried([row('Qualified', undefined, crmLane)]);
    tally.dead([row('Qualified', undefined, crmLane)]);
    const { interval } = tally.take();
    expect(interval.events.size).toBe(0);
    expect(interval.matchKeys.delivered).toBe(0);
  });

  it('counts accepted (new rows only), delivered, retried and dead per pixel and event name', () => {
    const tally = new ReportTally();
    tally.accepted(
      [
        { pixelId: PIXEL, event: 'AddToCart' },
        { pixelId: PIXEL, event: 'AddToCart' },
        { pixelId: PIXEL, event: 'Pageview' },
        { pixelId: OTHER_PIXEL, event: 'AddToCart' },
      ],
      [true, false, true, true],
    );
    tally.delivered([row('AddToCart'), row('Pageview')], 1500);
    tally.retried([row('AddToCart')]);
    tally.dead([row('Pageview', undefined, OTHER_PIXEL)]);
    const { interval: taken } = tally.take();
    expect(countsOf(taken, PIXEL, 'AddToCart')).toEqual(counts({ accepted: 1, delivered: 1, retried: 1, dead: 0 }));
    expect(countsOf(taken, PIXEL, 'Pageview')).toEqual(counts({ accepted: 1, delivered: 1, retried: 0, dead: 0 }));
    expect(countsOf(taken, OTHER_PIXEL, 'AddToCart')).toEqual(counts({ accepted: 1, delivered: 0, retried: 0, dead: 0 }));
    expect(countsOf(taken, OTHER_PIXEL, 'Pageview')).toEqual(counts({ accepted: 0, delivered: 0, retried: 0, dead: 1 }));
    expect([taken.latency.count, taken.latency.max]).toEqual([2, 500]);
  });

  it('counts the connection method each stored event\'s page said (pixel loaded, blocked, not said), duplicates not at all', () => {
    const tally = new ReportTally();
    tally.accepted(
      [
        { pixelId: PIXEL, event: 'AddToCart', pixel: 'loaded' },
        { pixelId: PIXEL, event: 'AddToCart', pixel: 'blocked' },
        { pixelId: PIXEL, event: 'AddToCart', pixel: 'blocked' },
        { pixelId: PIXEL, event: 'AddToCart', pixel: 'blocked' },
        { pixelId: PIXEL, event: 'AddToCart' },
      ],
      [true, true, true, false, true],
    );
    const { interval } = tally.take();
    expect(countsOf(interval, PIXEL, 'AddToCart')).toEqual(counts({ accepted: 4, pixel_loaded: 1, pixel_blocked: 2 }));
  });

  it('counts the match keys of each event name among its deliveries (the estimate of match quality per event)', () => {
    const tally = new ReportTally();
    tally.delivered([row('AddToCart', { email: H, ip: '203.0.113.7' }), row('AddToCart', { ip: '203.0.113.8' }), row('Pageview', { ttp: 'x'.repeat(20) })], 1500);
    const { interval } = tally.take();
    expect(countsOf(interval, PIXEL, 'AddToCart')).toEqual(counts({ delivered: 2, with_email: 1, with_ip: 2 }));
    expect(countsOf(interval, PIXEL, 'Pageview')).toEqual(counts({ delivered: 1, with_ttp: 1 }));
    expect(interval.matchKeys).toMatchObject({ delivered: 3, email: 1, ip: 2, ttp: 1 });
  });

  it('sends a report that got no answer again unchanged, under its number: Odoo adds it once', () => {
    const tally = new ReportTally();
    tally.accepted([{ pixelId: PIXEL, event: 'AddToCart' }], [true]);
    tally.delivered([row('AddToCart', { ip: '203.0.113.7' }, PIXEL, 1000)], 3000);
    tally.testEventAnswered({ request_id: 7, code: 0, message: 'OK' });
    const first = tally.take(); // no answer: Odoo may or may not have committed it
    tally.accepted([{ pixelId: PIXEL, event: 'AddToCart' }], [true]);
    tally.delivered([row('AddToCart', undefined, PIXEL, 1000)], 1100);
    const again = tally.take();
    expect(again).toBe(first);
    expect(again.seq).toBe(1);
    expect(countsOf(again.interval, PIXEL, 'AddToCart')).toEqual(counts({ accepted: 1, delivered: 1, retried: 0, dead: 0, with_ip: 1 }));
    expect(again.interval.matchKeys).toMatchObject({ delivered: 1, ip: 1 });
    expect(again.interval.testEvents).toEqual([{ request_id: 7, code: 0, message: 'OK' }]);
    tally.acknowledge(again);
    // What happened meanwhile goes next, under the next number: nothing lost, nothing twice.
    tally.dead([row('AddToCart')]);
    const next = tally.take();
    expect(next.seq).toBe(2);
    expect(countsOf(next.interval, PIXEL, 'AddToCart')).toEqual(counts({ accepted: 1, delivered: 1, retried: 0, dead: 1 }));
    expect([next.interval.latency.count, next.interval.latency.max]).toEqual([1, 100]);
  });

  it('reports acknowledged counts once: the next interval starts from zero', () => {
    const tally = new ReportTally();
    tally.accepted([{ pixelId: PIXEL, event: 'AddToCart' }], [true]);
    tally.testEventAnswered({ request_id: 7, code: 0, message: 'OK' });
    const first = tally.take();
    tally.acknowledge(first);
    const { seq, interval: second } = tally.take();
    expect(seq).toBe(2);
    expect(second.events.size).toBe(0);
    expect(second.testEvents).toEqual([]);
    expect(second.matchKeys.delivered).toBe(0);
  });

  it('keeps what happens while a report is on its way for the next report, whether that one is acknowledged or not', () => {
    const tally = new ReportTally();
    tally.accepted([{ pixelId: PIXEL, event: 'AddToCart' }], [true]);
    const inFlight = tally.take();
    tally.accepted([{ pixelId: PIXEL, event: 'Pageview' }], [true]);
    tally.acknowledge(inFlight);
    const { interval: next } = tally.take();
    expect(countsOf(next, PIXEL, 'AddToCart')).toBeUndefined();
    expect(countsOf(next, PIXEL, 'Pageview')).toEqual(counts({ accepted: 1, delivered: 0, retried: 0, dead: 0 }));
  });

  it('ignores an acknowledgement of an interval that is no longer the one outstanding', () => {
    const tally = new ReportTally();
    tally.accepted([{ pixelId: PIXEL, event: 'AddToCart' }], [true]);
    const stale = { seq: 1, interval: new Interval() };
    tally.take();
    tally.acknowledge(stale);
    expect(countsOf(tally.take().interval, PIXEL, 'AddToCart')).toMatchObject({ accepted: 1 });
  });
});

describe('match-key coverage', () => {
  const coverage = (rows: string[]): MatchKeyCounts => {
    const into = new Interval().matchKeys;
    rows.forEach((r) => countMatchKeys(r, into));
    return into;
  };
  /** What a full parse would count: the reference the text search is held to. */
  const parsedCoverage = (rows: string[]): MatchKeyCounts => {
    const into = new Interval().matchKeys;
    for (const r of rows) {
      into.delivered += 1;
      const user = JSON.parse(r).user ?? {};
      for (const key of MATCH_KEYS) if (user[key] !== undefined) into[key] += 1;
    }
    return into;
  };

  it('counts, among delivered events, those carrying each key', () => {
    expect(
      coverage([
        JSON.stringify({ event: 'AddToCart', user: { email: H, phone: [H, H], ip: '203.0.113.7', user_agent: 'UA' } }),
        JSON.stringify({ event: 'AddToCart', user: { external_id: H, ttclid: 'E.C.P.abcdefgh', ttp: '2Ab3cD4eF5gH6iJ7kL8mN9oP0q' } }),
        JSON.stringify({ event: 'Pageview' }),
      ]),
    ).toEqual({ delivered: 3, email: 1, phone: 1, external_id: 1, ttclid: 1, ttp: 1, ip: 1, user_agent: 1 });
  });

  it('agrees with a full parse on rows the relay and the poller build, whatever their texts quote', () => {
    const tricky = ['"email":"x"', '{"ip":"203.0.113.7"}', '\\"phone\\":', 'user_agent": ttp":', '"user":{"ttclid":"E.C.P.x"}'];
    const rows: string[] = [];
    const users = [{}, { email: H }, { phone: H, external_id: [H, H] }, { ttclid: 'E.C.P.abcdefgh', ttp: '2Ab3cD4eF5gH6iJ7kL8mN9oP0q', locale: 'en-US' }];
    for (const [i, text] of tricky.entries()) {
      for (const [j, user] of users.entries()) {
        const event = RelayEventSchema.parse({
          pixel_id: PIXEL,
          event: 'Search',
          event_id: `e-${i}-${j}`,
          page: { url: `${SHOP}/shop?search=${encodeURIComponent(text)}` },
          user,
          properties: { query: text, contents: [{ content_id: '23', content_name: text, content_category: text, brand: text }] },
        });
        const decision = decideRelayEvent(event, website(), { ip: j % 2 ? '203.0.113.7' : undefined, userAgent: j > 1 ? `Mozilla/5.0 ${text}` : undefined, nowSeconds: 1_732_500_000 }, {
          limits: { value: 1e9, price: 1e9, quantity: 1e4 },
          extraOrigins: [],
        });
        if (decision.kind !== 'store') throw new Error(`the relay refused a test row: ${JSON.stringify(decision)}`);
        rows.push(JSON.stringify(decision.event.row));
      }
      const purchase = ClaimedPurchaseSchema.parse({
        order_id: i + 1, website_id: 1, event_id: `purchase-${i}`, event_time: 1_732_500_000, order_name: text, value: 10, currency: 'EUR',
        contents: [{ content_id: '23', content_name: text, price: 10, quantity: 1 }],
        user: i % 2 ? { email: H, ip: '203.0.113.7', user_agent: `UA ${text}` } : { external_id: H, ttp: '2Ab3cD4eF5gH6iJ7kL8mN9oP0q' },
        page_url: `${SHOP}/shop/confirmation`,
      });
      rows.push(JSON.stringify(buildPurchaseEvent(purchase, website()).row));
    }
    expect(rows.some((r) => r.includes('\\"email\\":'))).toBe(true); // the tricky texts made it into the rows
    const counted = coverage(rows);
    expect(counted).toEqual(parsedCoverage(rows));
    expect(counted.delivered).toBe(rows.length);
    expect(MATCH_KEYS.every((k) => counted[k] > 0 && counted[k] < rows.length)).toBe(true);
  });
});
