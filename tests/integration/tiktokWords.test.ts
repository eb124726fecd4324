import type Database from 'better-sqlite3';
import pino from 'pino';
import { Writable } from 'node:stream';
import { loadConfig } from '../../sidecar/src/config';
import { Metrics } from '../../sidecar/src/metrics';
import { SqliteOutbox, type ImmediateOutbox } from '../../sidecar/src/outbox/outbox';
import { reportDeadLetter, reportLane } from '../../sidecar/src/report/buildReport';
import { createSidecar, type Sidecar } from '../../sidecar/src/server';
import { StaticSettings } from '../../sidecar/src/settings/static';
import { HttpEventsApiClient } from '../../sidecar/src/tiktok/client';
import { startFakeEventsApi, type FakeEventsApi } from '../support/fakeEventsApi';
import { PIXEL, relayEvent, website } from '../helpers/sidecar';
import { until } from '../helpers/until';

/**
 * TikTok's answers can quote what a refused row held. Whatever it quotes must not
 * reach the logs, the outbox (dead letters, paused rows) or the report to Odoo:
 * a fake Events API quotes an e-mail address, a phone number and an IP address
 * in its refusals, over real HTTP.
 */

const TOKEN = 'test-access-token-0001';
const QUOTED = ['victim@example.com', '+33 6 12 34 56 78', '203.0.113.7'];
const quoting = (eventId: string) => `Invalid parameter: event ${eventId}: user.email ${QUOTED[0]} phone ${QUOTED[1]} from ${QUOTED[2]}`;


describe("TikTok's messages quoting a row's contact data", () => {
  let api: FakeEventsApi;
  let sidecar: Sidecar;
  let file: ImmediateOutbox;
  let logged: string[];

  async function start(rejectEvent: (row: { event_id: string }) => string | undefined): Promise<void> {
    api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN }, rejectEvent });
    logged = [];
    const log = pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) }));
    const cfg = loadConfig({ OUTBOX_PATH: ':memory:', RELAY_PORT: '0', DISPATCH_LINGER_MS: '10', LANE_PAUSE_BASE_MS: '60000' });
    const outbox = new SqliteOutbox(':memory:');
    file = outbox.immediate;
    sidecar = createSidecar(cfg, {
      log,
      metrics: new Metrics(),
      outbox,
      settings: new StaticSettings([website({ accessToken: TOKEN })]),
      client: new HttpEventsApiClient({ baseUrl: api.baseUrl, timeoutMs: 2000 }),
    });
  }

  afterEach(async () => {
    await sidecar.stop();
    await api.close();
  });

  function enqueue(n: number): void {
    const events = Array.from({ length: n }, (_, i) => relayEvent({ event_id: `q-${i}` }));
    file.events.enqueue(
      events.map((e) => ({ pixelId: PIXEL, event: 'AddToCart', eventId: String(e.event_id), source: 'browser', row: { event: 'AddToCart', event_id: String(e.event_id), event_time: Math.floor(Date.now() / 1000) - 5 } })),
      Date.now(),
    );
  }

  /** Everything the sidecar kept or said: log lines, every stored error, lane states and the report's entries. */
  function everythingKept(): string {
    const db = (sidecar.outbox as unknown as { db: Database.Database }).db;
    const stored = db.prepare('SELECT last_error FROM outbox').all();
    const report = [...sidecar.dispatcher.laneStates().map(reportLane), ...file.events.deadLetters(100).map(reportDeadLetter)];
    return JSON.stringify([logged, stored, sidecar.dispatcher.laneStates(), report]);
  }

  it('a dead letter keeps the code and the words, not the contact data quoted', async () => {
    await start((row) => (row.event_id === 'q-3' ? quoting(row.event_id) : undefined));
    enqueue(8);
    sidecar.dispatcher.start();
    await until(async () => (await sidecar.outbox.events.counts()).delivered === 7 && (await sidecar.outbox.events.counts()).dead === 1);
    const [dead] = (await sidecar.outbox.events.deadLetters(1));
    expect(dead).toMatchObject({ eventId: 'q-3', errorCode: 40002, lastError: expect.stringContaining('Invalid parameter: event q-3: user.email [redacted]') });
    const kept = everythingKept();
    for (const value of QUOTED) expect(kept).not.toContain(value);
    expect(kept).toContain('dead letter');
  });

  it("a lane paused because every row is refused alike keeps TikTok's words without the contact data, in the rows and in the log", async () => {
    await start(() => quoting('any'));
    enqueue(20);
    sidecar.dispatcher.start();
    await until(async () => sidecar.dispatcher.laneStates()[0]?.state === 'paused' && (await sidecar.outbox.events.counts()).pending === 20);
    const kept = everythingKept();
    for (const value of QUOTED) expect(kept).not.toContain(value);
    expect(kept).toContain('lane paused (request_refused): every event refused alike: Invalid parameter: data[0]: Invalid parameter: event any: user.email [redacted]');
    expect((await sidecar.outbox.events.counts()).dead).toBe(0);
  });
});
