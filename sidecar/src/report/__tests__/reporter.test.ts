import { Writable } from 'node:stream';
import { website } from '../../../../tests/helpers/sidecar';
import { SidecarReportSchema } from '../../contract/report';
import { createLogger } from '../../log';
import type { NewOutboxEvent } from '../../outbox/eventQueue';
import { SqliteOutbox } from '../../outbox/outbox';
import { FakeOdooPurchases } from '../../poller/__tests__/fakeOdooPurchases';
import { PurchasePoller } from '../../poller/purchasePoller';
import { StaticSettings } from '../../settings/static';
import type { WebsiteSettings } from '../../settings/types';
import type { EventsApiClient } from '../../tiktok/client';
import type { SendOutcome } from '../../tiktok/outcome';
import { Reporter } from '../reporter';
import { OdooError } from '../../odoo/errors';
import { ReportTally } from '../tally';
import { until } from '../../../../tests/helpers/until';

const PIXEL = website().pixelId;
const LANE = { pixelId: PIXEL, testEventCode: '' };

/** An Events API client that records what it is asked to send and answers as told. */
class RecordingClient implements EventsApiClient {
  sent: { body: any; token: string }[] = [];
  answer: SendOutcome = { kind: 'delivered' };
  send(body: string, token: string): Promise<SendOutcome> {
    this.sent.push({ body: JSON.parse(body), token });
    return Promise.resolve(this.answer);
  }
}

function event(eventId: string, overrides: Partial<NewOutboxEvent> = {}): NewOutboxEvent {
  return { pixelId: PIXEL, event: 'AddToCart', eventId, source: 'browser', row: { event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000 }, ...overrides };
}

function harness(opts: { websites?: WebsiteSettings[]; intervalMs?: number } = {}) {
  const odoo = new FakeOdooPurchases();
  const outbox = new SqliteOutbox(':memory:');
  const tally = new ReportTally();
  const client = new RecordingClient();
  const lines: Record<string, any>[] = [];
  const log = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  const settings = new StaticSettings(opts.websites ?? [website({ testEventCode: 'TEST123' })]);
  let woken = 0;
  const reporter = new Reporter(
    { odoo: () => Promise.resolve(odoo.transport()), tally, queue: outbox.events, lanes: () => [], settings, client, log, onRequeued: () => (woken += 1), nonce: () => 'n0nce' },
    { replica: { replica: 'replica-a', version: '9.9.9', startedAt: 1_732_500_000_000, runId: 'run-0001-test', pollIntervalSeconds: 1 }, intervalMs: opts.intervalMs ?? 10, maxBackoffMs: 40 },
  );
  /** Store events and count them as the relay's writer does. */
  const accept = (events: NewOutboxEvent[]) => tally.accepted(events, outbox.immediate.events.enqueue(events, Date.now()));
  /** Claim everything due and settle it as delivered (as the dispatcher does). */
  const deliverAll = () => {
    const rows = outbox.immediate.events.claim(LANE, Date.now() + 1e9, 1000);
    outbox.immediate.events.markDelivered(rows.map((r) => r.id), Date.now());
    tally.delivered(rows, Date.now());
    return rows;
  };
  const park = (eventId: string) => {
    const rows = outbox.immediate.events.claim(LANE, Date.now() + 1e9, 1000).filter((r) => r.eventId === eventId);
    outbox.immediate.events.markDead(rows.map((r) => r.id), 40002, 'Invalid parameter: content_id', Date.now());
    tally.dead(rows);
    outbox.immediate.events.releaseInFlight();
    return rows[0].id;
  };
  const accepted = () => odoo.reports.flatMap((r) => r.counters).reduce((n: number, c: any) => n + c.accepted, 0);
  const warnings = () => lines.filter((l) => l.level === 40).map((l) => l.msg as string);
  return { odoo, outbox, tally, client, lines, reporter, settings, accept, deliverAll, park, accepted, warnings, woken: () => woken };
}


describe('Reporter', () => {
  it('reports to tiktok.sidecar.report.tiktok_report what the contract describes, counts once', async () => {
    const h = harness();
    h.accept([event('a'), event('b')]);
    h.deliverAll();
    expect(await h.reporter.report()).toBe(true);
    expect(h.odoo.calls.at(-1)).toMatchObject({ method: 'tiktok_report' });
    const [first] = h.odoo.reports;
    expect(SidecarReportSchema.parse(first)).toEqual(first);
    expect(first).toMatchObject({
      replica: 'replica-a',
      version: '9.9.9',
      mode: 'odoo',
      started_at: 1_732_500_000,
      outbox: { pending: 0, in_flight: 0, delivered: 2, dead: 0 },
      counters: [{ website_id: 1, event: 'AddToCart', accepted: 2, delivered: 2, retried: 0, dead: 0 }],
      match_keys: { delivered: 2 },
    });
    expect(await h.reporter.report()).toBe(true);
    expect(h.odoo.reports[1].counters).toEqual([]);
  });

  it('reports the content ids of the delivered ViewContent per website, and only once', async () => {
    const h = harness();
    const viewContent = (eventId: string, ...contentIds: string[]) =>
      event(eventId, { event: 'ViewContent', row: { event: 'ViewContent', event_id: eventId, event_time: 1_732_500_000, properties: { contents: contentIds.map((content_id) => ({ content_id, content_type: 'product' as const })) } } });
    h.accept([viewContent('v1', 'FURN_0096'), viewContent('v2', 'FURN_0096', 'FURN_0097'), viewContent('v3', 'FURN_0098')]);
    h.odoo.failing.add('tiktok_report');
    expect(await h.reporter.report()).toBe(false); // delivered after this report's interval: counted in the next one
    h.odoo.failing.delete('tiktok_report');
    h.deliverAll();
    for (let i = 0; i < 3; i++) expect(await h.reporter.report()).toBe(true);
    const [first, second] = h.odoo.reports;
    expect(SidecarReportSchema.parse(second)).toEqual(second);
    expect([first.seq, first.contents, second.seq]).toEqual([1, undefined, 2]);
    expect(second.contents).toEqual([
      { website_id: 1, event: 'ViewContent', content_type: 'product', content_id: 'FURN_0096', count: 2 },
      { website_id: 1, event: 'ViewContent', content_type: 'product', content_id: 'FURN_0097', count: 1 },
      { website_id: 1, event: 'ViewContent', content_type: 'product', content_id: 'FURN_0098', count: 1 },
    ]);
    expect(h.odoo.reports[2]).not.toHaveProperty('contents');
  });

  it('sends a report Odoo did not take again, unchanged and under its number; what came meanwhile goes next: every count arrives once', async () => {
    const h = harness();
    h.odoo.failing.add('tiktok_report');
    h.accept([event('a')]);
    expect(await h.reporter.report()).toBe(false);
    h.accept([event('b'), event('c')]);
    expect(await h.reporter.report()).toBe(false);
    h.odoo.failing.delete('tiktok_report');
    h.accept([event('d')]);
    expect(await h.reporter.report()).toBe(true);
    expect(await h.reporter.report()).toBe(true);
    expect(h.odoo.reports).toHaveLength(2);
    expect(h.odoo.reports.map((r) => [r.seq, r.counters])).toEqual([
      [1, [{ website_id: 1, event: 'AddToCart', accepted: 1, delivered: 0, retried: 0, dead: 0 }]],
      [2, [{ website_id: 1, event: 'AddToCart', accepted: 3, delivered: 0, retried: 0, dead: 0 }]],
    ]);
    expect(h.accepted()).toBe(4);
    // One warning for the outage, one line for the recovery, not one per report.
    expect(h.warnings()).toEqual(["report: Odoo did not take the sidecar's report; it goes again, counts unchanged, with the next one"]);
    expect(h.lines.filter((l) => /takes the reports again/.test(l.msg))).toEqual([expect.objectContaining({ failedReports: 2 })]);
  });

  it('sends a report whose answer was lost again under the same number, with the same counts', async () => {
    const h = harness();
    h.odoo.reportAnswers.push(new Error('socket hang up'));
    h.accept([event('a')]);
    expect(await h.reporter.report()).toBe(false);
    h.accept([event('b')]);
    expect(await h.reporter.report()).toBe(true);
    expect(await h.reporter.report()).toBe(true);
    expect(h.odoo.reports.map((r) => [r.seq, r.counters[0]?.accepted])).toEqual([
      [1, 1],
      [1, 1],
      [2, 1],
    ]);
  });

  it('drops, loudly, a report whose content Odoo refused: later counts are not held back', async () => {
    const h = harness();
    h.odoo.reportAnswers.push(new OdooError('validation', 'The TikTok sidecar report was refused: counters[0].event must be …'));
    h.accept([event('a')]);
    expect(await h.reporter.report()).toBe(true);
    h.accept([event('b')]);
    expect(await h.reporter.report()).toBe(true);
    expect(h.odoo.reports.map((r) => r.seq)).toEqual([1, 2]);
    expect(h.accepted()).toBe(2); // recorded by the fake: 1 refused + 1 taken
    expect(h.odoo.reports[1].counters).toEqual([{ website_id: 1, event: 'AddToCart', accepted: 1, delivered: 0, retried: 0, dead: 0 }]);
    expect(h.lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual(["report: Odoo refused the sidecar's report; its counts are dropped (a newer module or sidecar is needed)"]);
  });

  it('logs a refusal once per reason, and again after a report was taken', async () => {
    const h = harness();
    const refusal = () => new OdooError('validation', 'The TikTok sidecar report was refused: run_id is an earlier run of replica replica-a');
    h.odoo.reportAnswers.push(refusal(), refusal(), refusal());
    for (let i = 0; i < 3; i += 1) {
      h.accept([event(`r${i}`)]);
      expect(await h.reporter.report()).toBe(true);
    }
    expect(h.lines.filter((l) => l.level === 50)).toHaveLength(1);
    expect(await h.reporter.report()).toBe(true); // taken
    h.odoo.reportAnswers.push(refusal());
    expect(await h.reporter.report()).toBe(true);
    expect(h.lines.filter((l) => l.level === 50)).toHaveLength(2);
    expect(h.odoo.reports.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('treats ok: false as a report not taken', async () => {
    const h = harness();
    h.odoo.reportAnswers.push({ ok: false });
    h.accept([event('a')]);
    expect(await h.reporter.report()).toBe(false);
    expect(await h.reporter.report()).toBe(true);
    expect(h.odoo.reports.map((r) => r.counters[0]?.accepted)).toEqual([1, 1]);
  });

  it('sends one report at a time: two asked at once do not both carry the same counts', async () => {
    const h = harness();
    h.accept([event('a'), event('b'), event('c')]);
    await Promise.all([h.reporter.report(), h.reporter.report(), h.reporter.report()]);
    expect(h.odoo.reports).toHaveLength(3);
    expect(h.accepted()).toBe(3);
  });

  it('ignores a malformed answer, logs it once, and does not report the counts again', async () => {
    const h = harness();
    const id = (h.accept([event('poison')]), h.park('poison'));
    h.odoo.reportAnswers.push({ ok: true, send_again: [{ id: String(id) }] }, { ok: true, send_again: [{ id: String(id) }] });
    expect(await h.reporter.report()).toBe(true);
    expect(await h.reporter.report()).toBe(true);
    expect(h.outbox.immediate.events.counts().dead).toBe(1);
    expect(h.accepted()).toBe(1);
    expect(h.warnings()).toEqual([expect.stringContaining("Odoo's answer to the report is not what the sidecar reads")]);
    expect(h.lines.find((l) => l.level === 40)!.problem).toBe('send_again[0].id: Invalid input: expected number, received string');
  });

  it('queues dead letters again at Odoo\'s request, same event id, and they leave the list', async () => {
    const h = harness();
    h.accept([event('good'), event('poison')]);
    const id = h.park('poison');
    h.deliverAll();
    await h.reporter.report();
    expect(h.odoo.reports[0].dead_letters).toEqual([expect.objectContaining({ id, event_id: 'poison', code: 40002, message: 'Invalid parameter: content_id' })]);
    expect(h.odoo.reports[0].counters[0]).toMatchObject({ accepted: 2, delivered: 1, dead: 1 });

    h.odoo.reportAnswers.push({ ok: true, send_again: [{ id }, { id: 999_999 }], test_events: [] });
    await h.reporter.report();
    expect(h.woken()).toBe(1);
    expect(h.outbox.immediate.events.counts()).toMatchObject({ dead: 0, pending: 1 });
    expect(h.deliverAll().map((r) => [r.id, r.eventId, r.attempts])).toEqual([[id, 'poison', 1]]);
    await h.reporter.report();
    expect(h.odoo.reports[2].dead_letters).toEqual([]);
    expect(h.odoo.reports[2].counters[0]).toMatchObject({ delivered: 1, dead: 0 });
  });

  it('sends a test event with the website\'s test code once per request, and reports TikTok\'s answer', async () => {
    const h = harness({ websites: [website({ testEventCode: 'TEST123' }), website({ websiteId: 2, pixelId: 'COTHERPIXEL000000002' })] });
    h.client.answer = { kind: 'request_problem', problem: 'token_refused', code: 40105, message: 'Access token is incorrect or has been revoked.' };
    const ask = { ok: true, test_events: [{ request_id: 7, website_id: 1 }, { request_id: 8, website_id: 2 }] };
    h.odoo.reportAnswers.push(ask, ask); // Odoo asks again before it has the answer
    await h.reporter.report();
    await h.reporter.report();
    await until(() => h.lines.some((l) => l.requestId === 7));
    expect(h.client.sent).toEqual([
      {
        token: 'test-access-token-0001',
        body: { event_source: 'web', event_source_id: PIXEL, partner_name: 'Odoo', test_event_code: 'TEST123', data: [expect.objectContaining({ event: 'Pageview', event_id: 'test-7-n0nce' })] },
      },
    ]);
    await h.reporter.report();
    const answers = h.odoo.reports.flatMap((r) => r.test_events);
    expect(answers).toEqual([
      { request_id: 8, message: expect.stringContaining('not sent: website 2 has no test event code') },
      { request_id: 7, code: 40105, message: 'Access token is incorrect or has been revoked.' },
    ]);
  });

  it('sends a test event with the code of Odoo\'s answer when its settings were read before the code was saved', async () => {
    const h = harness({ websites: [website()] });
    h.odoo.reportAnswers.push({ ok: true, test_events: [{ request_id: 9, website_id: 1, pixel_id: PIXEL, test_event_code: 'JUSTSAVED1' }] });
    await h.reporter.report();
    await until(() => h.lines.some((l) => l.requestId === 9));
    expect(h.client.sent).toEqual([{ token: 'test-access-token-0001', body: expect.objectContaining({ test_event_code: 'JUSTSAVED1' }) }]);
  });

  it('reports on its own loop every interval and backs off while Odoo fails', async () => {
    const h = harness();
    h.reporter.start();
    await until(() => h.odoo.reports.length >= 3);
    h.odoo.failing.add('tiktok_report');
    const callsBefore = h.odoo.calls.length;
    await new Promise((r) => setTimeout(r, 200));
    // 10 ms interval, backing off to 40 ms: a handful of attempts, not twenty.
    expect(h.odoo.calls.length - callsBefore).toBeLessThan(10);
    h.odoo.failing.delete('tiktok_report');
    await until(() => h.warnings().length === 1 && h.lines.some((l) => /takes the reports again/.test(l.msg)));
    await h.reporter.stop();
    const reports = h.odoo.reports.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(h.odoo.reports.length).toBe(reports);
  });

  it('sends a last report at stop, after the test events in flight', async () => {
    const h = harness({ intervalMs: 3_600_000 });
    h.reporter.start();
    h.odoo.reportAnswers.push({ ok: true, test_events: [{ request_id: 7, website_id: 1 }] });
    await until(() => h.odoo.reports.length === 1);
    h.accept([event('late')]);
    await h.reporter.stop();
    expect(h.odoo.reports).toHaveLength(2);
    expect(h.odoo.reports[1]).toMatchObject({ counters: [expect.objectContaining({ accepted: 1 })], test_events: [expect.objectContaining({ request_id: 7, code: 0 })] });
  });

  it('sends no last report at stop while Odoo does not take them', async () => {
    const h = harness();
    h.odoo.failing.add('tiktok_report');
    await h.reporter.report();
    const calls = h.odoo.calls.length;
    await h.reporter.stop();
    expect(h.odoo.calls.length).toBe(calls);
  });

  it('a refused Purchase sent again from the dead letters and delivered is reported sent to its order', async () => {
    const h = harness({ websites: [website()] });
    h.odoo.add(42);
    const poller = new PurchasePoller(
      { odoo: () => Promise.resolve(h.odoo.transport()), settings: h.settings, purchaseClaims: h.outbox.purchaseClaims, log: createLogger('silent'), onEnqueued: () => {} },
      { intervalMs: 10, leaseSeconds: 60, batchSize: 50, maxBackoffMs: 100, claimer: 'replica-a' },
    );
    await poller.pollOnce();
    expect(h.odoo.calls.find((c) => c.method === 'tiktok_claim_purchases')?.kwargs).toMatchObject({ claimer: 'replica-a' });
    const id = h.park('purchase-so-42');
    await poller.reportSettled();
    expect(h.odoo.orders[0].state).toBe('failed');
    await poller.reportSettled();
    expect(h.odoo.calls.filter((c) => c.method === 'tiktok_mark_purchases')).toHaveLength(1);

    h.odoo.reportAnswers.push({ ok: true, send_again: [{ id }] });
    await h.reporter.report();
    expect(h.deliverAll().map((r) => r.eventId)).toEqual(['purchase-so-42']);
    await poller.reportSettled();
    expect(h.odoo.orders[0].state).toBe('sent');
    expect(h.outbox.immediate.purchaseClaims.settledClaims(10)).toEqual([]);
  });
});
