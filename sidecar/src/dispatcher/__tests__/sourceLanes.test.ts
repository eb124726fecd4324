import pino from 'pino';
import { Metrics } from '../../metrics';
import { SqliteOutbox } from '../../outbox/outbox';
import { StaticSettings } from '../../settings/static';
import type { EventsApiClient } from '../../tiktok/client';
import { sourceLaneId } from '../../tiktok/lane';
import { website } from '../../../../tests/helpers/sidecar';
import { Dispatcher } from '../dispatcher';

const SET = '7300000000000000001';
const DAY = 86_400;

/** A dispatcher over two websites whose Events API records each request's envelope and token. */
function harness() {
  const outbox = new SqliteOutbox(':memory:');
  const requests: { source: string; sourceId: string; token: string; ids: string[] }[] = [];
  const client: EventsApiClient = {
    async send(body, token) {
      const parsed = JSON.parse(body) as { event_source: string; event_source_id: string; data: { event_id: string }[] };
      requests.push({ source: parsed.event_source, sourceId: parsed.event_source_id, token, ids: parsed.data.map((r) => r.event_id) });
      return { kind: 'delivered' };
    },
  };
  const settings = new StaticSettings([
    website({ websiteId: 1, pixelId: 'CPIXELONE00000000001', accessToken: 'token-one' }),
    website({ websiteId: 2, pixelId: 'CPIXELTWO00000000002', accessToken: 'token-two' }),
  ]);
  const dispatcher = new Dispatcher(
    { queue: outbox.events, client, settings, metrics: new Metrics(), log: pino({ level: 'silent' }) },
    { maxBatchSize: 1000, lingerMs: 0, maxConcurrentRequests: 1, backoff: { baseMs: 10, maxMs: 20 }, pause: { baseMs: 60_000, maxMs: 60_000 }, idleMs: 20 },
  );
  const enqueue = (laneId: string, eventId: string, ageSeconds = 60, event = 'Qualified') => {
    const eventTime = Math.floor(Date.now() / 1000) - ageSeconds;
    outbox.immediate.events.enqueue([{ pixelId: laneId, event, eventId, source: 'server', row: { event, event_id: eventId, event_time: eventTime } }], Date.now());
  };
  const run = async () => {
    dispatcher.start();
    await new Promise((r) => setTimeout(r, 150));
    await dispatcher.stop(1000);
  };
  return { outbox, requests, enqueue, run };
}

describe('lanes of other sources in the dispatcher', () => {
  it('sends each lane under its own event_source and event set, with its website\'s token', async () => {
    const h = harness();
    h.enqueue(sourceLaneId('crm', 2, SET), 'crm-1');
    h.enqueue(sourceLaneId('crm', 2, SET), 'crm-2');
    h.enqueue('CPIXELONE00000000001', 'web-1', 60, 'AddToCart');
    await h.run();
    const byId = (id: string) => h.requests.find((r) => r.ids.includes(id));
    expect(byId('crm-1')).toEqual({ source: 'crm', sourceId: SET, token: 'token-two', ids: ['crm-1', 'crm-2'] });
    expect(byId('web-1')).toEqual({ source: 'web', sourceId: 'CPIXELONE00000000001', token: 'token-one', ids: ['web-1'] });
  });

  it('holds a lane whose website has no settings here, sending nothing', async () => {
    const h = harness();
    h.enqueue(sourceLaneId('crm', 3, SET), 'crm-orphan');
    await h.run();
    expect(h.requests).toEqual([]);
    expect(h.outbox.immediate.events.counts()).toMatchObject({ pending: 1, dead: 0 });
  });

  it('keeps offline events up to 28 days, other sources up to 7', async () => {
    const h = harness();
    h.enqueue(sourceLaneId('offline', 2, SET), 'offline-20d', 20 * DAY, 'Purchase');
    h.enqueue(sourceLaneId('offline', 2, SET), 'offline-29d', 29 * DAY, 'Purchase');
    h.enqueue(sourceLaneId('crm', 2, SET), 'crm-8d', 8 * DAY);
    await h.run();
    expect(h.requests.flatMap((r) => r.ids)).toEqual(['offline-20d']);
    expect(h.outbox.immediate.events.deadLetters(10).map((d) => [d.eventId, d.lastError]).sort()).toEqual([
      ['crm-8d', 'not sent: older than 7 days, TikTok would refuse it'],
      ['offline-29d', 'not sent: older than 28 days, TikTok would refuse it'],
    ]);
  });
});
