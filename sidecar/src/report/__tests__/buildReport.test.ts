import { VECTORS as vectors } from '../../../../tests/vectors/contractVectors';
import { noCounts, REPORT_LIMITS, REPORT_MAX_DEAD_LETTERS, SidecarReportSchema } from '../../contract/report';
import type { LaneState } from '../../dispatcher/lanes';
import type { DeadLetter } from '../../outbox/eventQueue';
import { CANONICAL_EVENTS, serverEventName } from '../../contract/eventNames';
import { buildReport, CONTENTS_BUDGET_BYTES, reportCounters, reportDeadLetter, type ReportParts } from '../buildReport';
import { Interval } from '../interval';

const PIXEL_A = 'CAAAAAAAAAAAAAAAAAA1';
const PIXEL_B = 'CBBBBBBBBBBBBBBBBBB2';
const GONE = 'CGONEGONEGONEGONE003';
const REPLICA = { replica: 'shop-sidecar-1', version: '0.1.0', startedAt: 1_732_500_000_000, runId: 'run-0001-test', pollIntervalSeconds: 5 };
const NOW = 1_732_503_600_500;
const WEBSITES: Record<string, number> = { [PIXEL_A]: 1, [PIXEL_B]: 2 };
const H = 'e'.repeat(64);

function deadLetter(id: number, overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id,
    pixelId: PIXEL_A,
    event: 'AddToCart',
    eventId: `5f0c2b1e-9d7a-4c1b-8e3f-${String(id).padStart(12, '0')}`,
    eventTime: 1_732_500_000,
    attempts: 1,
    createdAt: 1_732_500_000_000,
    errorCode: 40002,
    lastError: 'Invalid parameter: properties.contents[0].content_id is not in the catalog',
    deadAt: 1_732_500_100_900,
    ...overrides,
  };
}

const reportDeadLetterAt = (id: number) => reportDeadLetter(deadLetter(id));

const runningLane: LaneState = { pixelId: PIXEL_A, testEventCode: '', state: 'running' };
const pausedLane: LaneState = {
  pixelId: PIXEL_A,
  testEventCode: 'TEST123',
  state: 'paused',
  reason: 'token_refused',
  code: 40105,
  message: 'Access token is incorrect or has been revoked.',
  since: 1_732_490_000_700,
  until: 1_732_503_700_000,
};

function parts(overrides: Partial<ReportParts> = {}): ReportParts {
  return {
    seq: 1,
    interval: new Interval(),
    websiteOf: (pixelId) => WEBSITES[pixelId],
    outbox: { pending: 3, in_flight: 0, delivered: 1200, dead: 1 },
    lanes: [],
    deadLetters: [],
    ...overrides,
  };
}

describe('buildReport', () => {
  it('follows the contract: identity, times in seconds, outbox, lanes without their test code, dead letters without payloads', () => {
    const report = buildReport(REPLICA, NOW, parts({ lanes: [runningLane, pausedLane], deadLetters: [deadLetter(12, { lastError: 'Invalid parameter: jane@mail.com is not allowed' })] }));
    expect(SidecarReportSchema.parse(report)).toEqual(report);
    expect(report).toEqual({
      replica: 'shop-sidecar-1',
      version: '0.1.0',
      mode: 'odoo',
      started_at: 1_732_500_000,
      run_id: 'run-0001-test',
      poll_interval_seconds: 5,
      seq: 1,
      sent_at: 1_732_503_600,
      outbox: { pending: 3, in_flight: 0, delivered: 1200, dead: 1 },
      counters: [],
      latency_ms: { p50: 0, p95: 0, max: 0 },
      lanes: [
        { pixel_id: PIXEL_A, test: false, state: 'running' },
        { pixel_id: PIXEL_A, test: true, state: 'paused', reason: 'token_refused', code: 40105, message: 'Access token is incorrect or has been revoked.', since: 1_732_490_000 },
      ],
      match_keys: { delivered: 0, email: 0, phone: 0, external_id: 0, ttclid: 0, ttp: 0, ip: 0, user_agent: 0 },
      dead_letters: [
        { id: 12, pixel_id: PIXEL_A, event: 'AddToCart', event_id: deadLetter(12).eventId, event_time: 1_732_500_000, dead_at: 1_732_500_100, code: 40002, message: 'Invalid parameter: [redacted] is not allowed' },
      ],
      test_events: [],
    });
    expect(JSON.stringify(report)).not.toContain('TEST123');
  });

  it('reports lanes and dead letters of other sources under keys of their own, and leaves those keys out when empty', () => {
    const crmLane = 'crm:1:7300000000000000001';
    const report = buildReport(REPLICA, NOW, parts({
      lanes: [runningLane, { pixelId: crmLane, testEventCode: '', state: 'paused', reason: 'token_refused', code: 40105 }],
      deadLetters: [deadLetter(5), deadLetter(6, { pixelId: crmLane, event: 'Qualified' })],
    }));
    expect(SidecarReportSchema.parse(report)).toEqual(report);
    // The pixels' keys keep pixels only: an Odoo that does not know the new keys drops them.
    expect(report.lanes.map((l) => l.pixel_id)).toEqual([PIXEL_A]);
    expect(report.dead_letters.map((d) => d.id)).toEqual([5]);
    expect(report.source_lanes).toEqual([{ pixel_id: crmLane, test: false, state: 'paused', reason: 'token_refused', code: 40105 }]);
    expect(report.source_dead_letters!.map((d) => [d.id, d.pixel_id, d.event])).toEqual([[6, crmLane, 'Qualified']]);
    const webOnly = buildReport(REPLICA, NOW, parts({ lanes: [runningLane], deadLetters: [deadLetter(5)] }));
    expect(Object.keys(webOnly)).not.toEqual(expect.arrayContaining(['source_lanes']));
    expect(webOnly).not.toHaveProperty('source_dead_letters');
  });

  it('leaves out what a dead letter does not have: a code when it was never sent, a message from an old file', () => {
    const [tooOld, legacy] = buildReport(REPLICA, NOW, parts({ deadLetters: [deadLetter(3, { errorCode: null, lastError: 'not sent: older than 7 days' }), deadLetter(2, { lastError: null })] })).dead_letters;
    expect(tooOld).not.toHaveProperty('code');
    expect(tooOld.message).toBe('not sent: older than 7 days');
    expect(legacy).not.toHaveProperty('message');
  });

  it('counts per website: a website\'s pixels added up, unconfigured pixels under website 0', () => {
    const interval = new Interval();
    interval.count(PIXEL_A, 'AddToCart', 'accepted', 3);
    interval.count(PIXEL_A, 'AddToCart', 'delivered', 2);
    interval.count(PIXEL_B, 'AddToCart', 'retried', 4);
    interval.count(GONE, 'Pageview', 'dead', 1);
    interval.count('CGONETOOGONETOO00004', 'Pageview', 'dead', 2);
    expect(reportCounters(interval, (p) => WEBSITES[p])).toEqual([
      { website_id: 0, event: 'Pageview', ...noCounts(), dead: 3 },
      { website_id: 1, event: 'AddToCart', ...noCounts(), accepted: 3, delivered: 2 },
      { website_id: 2, event: 'AddToCart', ...noCounts(), retried: 4 },
    ]);
  });

  it('carries the connection methods and match keys of an event only when not 0, and Odoo\'s schema takes them', () => {
    const interval = new Interval();
    interval.accepted(PIXEL_A, 'AddToCart', 'blocked');
    interval.accepted(PIXEL_A, 'AddToCart', 'loaded');
    interval.accepted(PIXEL_A, 'Pageview', undefined);
    interval.delivered({ pixelId: PIXEL_A, event: 'AddToCart', createdAt: 0, payload: '{"user":{"email":"' + 'a'.repeat(64) + '"}}' }, 10);
    const report = buildReport(REPLICA, NOW, parts({ interval }));
    expect(report.counters).toEqual([
      { website_id: 1, event: 'AddToCart', accepted: 2, delivered: 1, retried: 0, dead: 0, pixel_loaded: 1, pixel_blocked: 1, with_email: 1 },
      { website_id: 1, event: 'Pageview', accepted: 1, delivered: 0, retried: 0, dead: 0 },
    ]);
    expect(SidecarReportSchema.safeParse(report).success).toBe(true);
  });

  it('never carries a number beyond what Odoo stores: outsized counts stay at the bound', () => {
    const interval = new Interval();
    interval.count(PIXEL_A, 'AddToCart', 'accepted', REPORT_LIMITS.maxCount + 5);
    const report = buildReport(REPLICA, NOW, parts({ interval, outbox: { pending: 2 ** 40, in_flight: 0, delivered: 3, dead: 0 } }));
    expect(report.counters[0].accepted).toBe(REPORT_LIMITS.maxCount);
    const details = new Interval();
    for (const key of ['pixel_blocked', 'with_email'] as const) details.countsOf(PIXEL_A, 'AddToCart')[key] = REPORT_LIMITS.maxCount + 5;
    expect(buildReport(REPLICA, NOW, parts({ interval: details })).counters[0]).toMatchObject({ pixel_blocked: REPORT_LIMITS.maxCount, with_email: REPORT_LIMITS.maxCount });
    expect(report.outbox.pending).toBe(REPORT_LIMITS.int4Max);
    expect(SidecarReportSchema.safeParse(report).success).toBe(true);
    expect(SidecarReportSchema.safeParse({ ...report, seq: REPORT_LIMITS.int4Max + 1 }).success).toBe(false);
    expect(SidecarReportSchema.safeParse({ ...report, dead_letters: [{ ...reportDeadLetterAt(REPORT_LIMITS.maxOutboxId) }] }).success).toBe(true);
    expect(SidecarReportSchema.safeParse({ ...report, dead_letters: [{ ...reportDeadLetterAt(REPORT_LIMITS.maxOutboxId + 1) }] }).success).toBe(false);
  });

  it('agrees with the module on every bound (tests/vectors/contract.json)', () => {
    expect(REPORT_LIMITS).toEqual({
      int4Max: vectors.report_limits.int4_max,
      maxCount: vectors.report_limits.max_count,
      maxOutboxId: vectors.report_limits.max_outbox_id,
      maxRequestBytes: vectors.report_limits.max_request_bytes,
      maxContents: vectors.report_limits.max_contents,
    });
  });

  it('carries the interval\'s latency, match keys and test answers', () => {
    const interval = new Interval();
    for (let i = 1; i <= 20; i++) {
      interval.delivered({ pixelId: PIXEL_A, event: 'AddToCart', createdAt: 0, payload: JSON.stringify({ user: i % 2 ? { email: H, ip: '203.0.113.7' } : { ip: '203.0.113.7' } }) }, i * 100);
    }
    interval.testEvents.push({ request_id: 7, code: 0, message: 'OK' }, { request_id: 8, message: 'not sent: no test event code' });
    const report = buildReport(REPLICA, NOW, parts({ interval }));
    // Exact: p50 1000, p95 1900; reported within one bucket (4.4 %) above.
    expect(report.latency_ms.max).toBe(2000);
    expect(report.latency_ms.p50).toBeGreaterThanOrEqual(1000);
    expect(report.latency_ms.p50).toBeLessThanOrEqual(1045);
    expect(report.latency_ms.p95).toBeGreaterThanOrEqual(1900);
    expect(report.latency_ms.p95).toBeLessThanOrEqual(1984);
    expect(report.match_keys).toMatchObject({ delivered: 20, email: 10, ip: 20, phone: 0 });
    expect(report.test_events).toEqual([{ request_id: 7, code: 0, message: 'OK' }, { request_id: 8, message: 'not sent: no test event code' }]);
    expect(SidecarReportSchema.safeParse(report).success).toBe(true);
  });

  describe('contents (the catalog match)', () => {
    const viewed = (pixelId: string, event: string, ...contentIds: string[]) => ({
      pixelId,
      event,
      createdAt: 0,
      payload: JSON.stringify({ event, event_id: 'e', properties: { contents: contentIds.map((content_id) => ({ content_id })) } }),
    });

    it('carries the delivered content ids per website, a website\'s pixels added up, unconfigured pixels under website 0', () => {
      const interval = new Interval();
      interval.delivered(viewed(PIXEL_A, 'ViewContent', 'FURN_0096', 'FURN_0097'), 10);
      interval.delivered(viewed(PIXEL_A, 'ViewContent', 'FURN_0096'), 10);
      interval.delivered(viewed(PIXEL_B, 'CompletePayment', 'FURN_0096'), 10);
      interval.delivered(viewed(GONE, 'AddToCart', 'FURN_0096'), 10);
      interval.delivered(viewed('CGONETOOGONETOO00004', 'AddToCart', 'FURN_0096'), 10);
      interval.delivered(viewed(PIXEL_A, 'ViewContent', 'x'.repeat(129)), 10);
      const report = buildReport(REPLICA, NOW, parts({ interval, websiteOf: (p) => (p === PIXEL_B ? 1 : WEBSITES[p]) }));
      expect(report.contents).toEqual([
        { website_id: 0, event: 'AddToCart', content_type: 'product', content_id: 'FURN_0096', count: 2 },
        { website_id: 1, event: 'CompletePayment', content_type: 'product', content_id: 'FURN_0096', count: 1 },
        { website_id: 1, event: 'ViewContent', content_type: 'product', content_id: 'FURN_0096', count: 2 },
        { website_id: 1, event: 'ViewContent', content_type: 'product', content_id: 'FURN_0097', count: 1 },
      ]);
      expect(report.contents_unrecorded).toBe(1);
      expect(SidecarReportSchema.parse(report)).toEqual(report);
    });

    it('leaves both keys out when nothing was counted: an older Odoo never sees them', () => {
      const interval = new Interval();
      interval.delivered(viewed(PIXEL_A, 'Search', 'FURN_0096'), 10);
      const report = buildReport(REPLICA, NOW, parts({ interval }));
      expect(report).not.toHaveProperty('contents');
      expect(report).not.toHaveProperty('contents_unrecorded');
    });

    it('never carries more than the bounds: counts at 10⁹, and the schema refuses a longer list or an id it may not carry', () => {
      const interval = new Interval();
      interval.contents.add(PIXEL_A, 'AddToCart', 'product', 'FURN_1', REPORT_LIMITS.maxCount + 5);
      interval.contents.unrecorded = REPORT_LIMITS.maxCount + 5;
      const report = buildReport(REPLICA, NOW, parts({ interval }));
      expect(report.contents).toEqual([{ website_id: 1, event: 'AddToCart', content_type: 'product', content_id: 'FURN_1', count: REPORT_LIMITS.maxCount }]);
      expect(report.contents_unrecorded).toBe(REPORT_LIMITS.maxCount);
      expect(SidecarReportSchema.safeParse(report).success).toBe(true);
      const entry = report.contents![0];
      const full = Array.from({ length: REPORT_LIMITS.maxContents }, (_, i) => ({ ...entry, content_id: `FURN_${i}` }));
      expect(SidecarReportSchema.safeParse({ ...report, contents: full }).success).toBe(true);
      expect(SidecarReportSchema.safeParse({ ...report, contents: [...full, { ...entry, content_id: 'ONE_MORE' }] }).success).toBe(false);
      for (const wrong of [
        { content_id: '' },
        { content_id: 'x'.repeat(129) },
        { content_id: 'FURN\u00001' },
        { content_id: 'FURN\ud800' },
        { content_type: 'sku' },
        { event: 'Search' },
        { count: REPORT_LIMITS.maxCount + 1 },
        { count: 1.5 },
        { website_id: -1 },
      ]) {
        expect([wrong, SidecarReportSchema.safeParse({ ...report, contents: [{ ...entry, ...wrong }] }).success]).toEqual([wrong, false]);
      }
      expect(SidecarReportSchema.safeParse({ ...report, contents_unrecorded: REPORT_LIMITS.maxCount + 1 }).success).toBe(false);
    });

    it(`keeps the list within ${CONTENTS_BUDGET_BYTES} bytes of JSON whatever ids were forged: the most counted go, the rest are unrecorded`, () => {
      const interval = new Interval();
      const wide = (i: number) => `${i}_`.padEnd(128, '漢');
      for (let i = 0; i < REPORT_LIMITS.maxContents; i++) interval.contents.add(PIXEL_A, 'ViewContent', 'product', wide(i), i === 1999 ? 50 : 1);
      const report = buildReport(REPLICA, NOW, parts({ interval }));
      const listed = report.contents!;
      expect(Buffer.byteLength(JSON.stringify(listed))).toBeLessThanOrEqual(CONTENTS_BUDGET_BYTES);
      expect(listed.length).toBeGreaterThan(400);
      expect(listed.length).toBeLessThan(REPORT_LIMITS.maxContents);
      expect(listed.map((c) => c.content_id)).toContain(wide(1999));
      expect(report.contents_unrecorded).toBe(REPORT_LIMITS.maxContents - listed.length);
      expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(REPORT_LIMITS.maxRequestBytes / 2);
      // Ids of a usual length all go, 2000 of them.
      const usual = new Interval();
      for (let i = 0; i < REPORT_LIMITS.maxContents; i++) usual.contents.add(PIXEL_A, 'CompletePayment', 'product_group', `FURN_${String(i).padStart(4, '0')}`);
      const all = buildReport(REPLICA, NOW, parts({ interval: usual }));
      expect(all.contents).toHaveLength(REPORT_LIMITS.maxContents);
      expect(all).not.toHaveProperty('contents_unrecorded');
    });
  });

  describe('size on the wire (JSON)', () => {
    /** A busy website: every event name counted, a live and a test lane, the most dead letters a report lists. */
    function busyReport() {
      const interval = new Interval();
      const names = CANONICAL_EVENTS.map((e) => serverEventName(e));
      expect(names).toHaveLength(14);
      for (const event of names) {
        interval.count(PIXEL_A, event, 'accepted', 123_456);
        interval.count(PIXEL_A, event, 'delivered', 123_400);
        interval.count(PIXEL_A, event, 'retried', 1_234);
        interval.count(PIXEL_A, event, 'dead', 12);
      }
      for (let i = 0; i < 5000; i++) interval.delivered({ pixelId: PIXEL_A, event: 'AddToCart', createdAt: 0, payload: '{"user":{"ip":"203.0.113.7"}}' }, 200 + (i % 3000));
      const deadLetters = Array.from({ length: REPORT_MAX_DEAD_LETTERS }, (_, i) => deadLetter(100_000 + i));
      return buildReport(REPLICA, NOW, parts({ interval, lanes: [runningLane, pausedLane], deadLetters }));
    }

    it('stays small: about 28 KB for a busy website with 100 dead letters, under 1 KB for a quiet one', () => {
      const busy = Buffer.byteLength(JSON.stringify(busyReport()));
      const quiet = Buffer.byteLength(JSON.stringify(buildReport(REPLICA, NOW, parts({ lanes: [runningLane] }))));
      expect(busy).toBeLessThan(32 * 1024);
      expect(quiet).toBeLessThan(1024);
      // The dead letters are most of it: without them the busy report is a couple of kilobytes.
      expect(Buffer.byteLength(JSON.stringify({ ...busyReport(), dead_letters: [] }))).toBeLessThan(4 * 1024);
    });
  });
});
