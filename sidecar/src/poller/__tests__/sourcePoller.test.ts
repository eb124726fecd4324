import pino from 'pino';
import { ClaimedSourceEventSchema } from '../../contract/sourceEvent';
import { SqliteOutbox } from '../../outbox/outbox';
import { StaticSettings } from '../../settings/static';
import { readLane } from '../../tiktok/lane';
import { serializeTrackRequest } from '../../tiktok/payload';
import type { TikTokEventRow } from '../../tiktok/types';
import { buildSourceEvent } from '../sourceEvent';
import { SourcePoller } from '../sourcePoller';
import { FakeOdooSourceEvents } from './fakeOdooSourceEvents';
import { website } from '../../../../tests/helpers/sidecar';

const log = pino({ level: 'silent' });
const OPTS = { intervalMs: 10, leaseSeconds: 60, batchSize: 50, maxBackoffMs: 100 };
const EVENT_SET = '7300000000000000001';

function poller(odoo: FakeOdooSourceEvents, outbox: SqliteOutbox, websites = [website()]) {
  return new SourcePoller({ odoo: async () => odoo.transport(), settings: new StaticSettings(websites), sourceClaims: outbox.sourceClaims, log, onEnqueued: () => {} }, OPTS);
}

function storedRows({ immediate: { events } }: SqliteOutbox): TikTokEventRow[] {
  return events.dueLanes(Date.now() + 1e9).flatMap((lane) => events.claim(lane, Date.now() + 1e9, 1000)).map((e) => JSON.parse(e.payload) as TikTokEventRow);
}

function deliverAll({ immediate: { events } }: SqliteOutbox): string[] {
  const rows = events.dueLanes(Date.now() + 1e9).flatMap((lane) => events.claim(lane, Date.now() + 1e9, 1000));
  events.markDelivered(rows.map((r) => r.id), Date.now());
  return rows.map((r) => r.eventId);
}

const entry = (overrides: Record<string, unknown> = {}) => ({
  website_id: 2, event_source: 'crm', event_source_id: EVENT_SET, event: 'Converted', event_id: 'crm-0123456789abcdef0123456789abcdef',
  event_time: 1_732_500_000, user: { email: 'a'.repeat(64), phone: false, ip: '203.0.113.7', ttclid: 'E.C.P.abc', ttp: '2Ab3cD4eF5gH6iJ7kL8mN9oP0q', user_agent: 'Mozilla/5.0 (X11) Chrome/131.0' },
  lead: { lead_id: '7412345678901234567', lead_event_source: 'Odoo' },
  ...overrides,
});

describe('buildSourceEvent', () => {
  it('puts a CRM event in the lane of its website and event set, with the lead and hashed keys', () => {
    const event = buildSourceEvent(ClaimedSourceEventSchema.parse(entry()), website());
    expect(event).toMatchObject({ pixelId: `crm:2:${EVENT_SET}`, event: 'Converted', eventId: 'crm-0123456789abcdef0123456789abcdef', source: 'server' });
    expect(event.row).toEqual({
      event: 'Converted',
      event_id: 'crm-0123456789abcdef0123456789abcdef',
      event_time: 1_732_500_000,
      user: { email: 'a'.repeat(64), ip: '203.0.113.7', ttclid: 'E.C.P.abc', ttp: '2Ab3cD4eF5gH6iJ7kL8mN9oP0q', user_agent: 'Mozilla/5.0 (X11) Chrome/131.0' },
      lead: { lead_id: '7412345678901234567', lead_event_source: 'Odoo' },
    });
    const body = JSON.parse(serializeTrackRequest(readLane(event.pixelId), [JSON.stringify(event.row)]));
    expect(body).toMatchObject({ event_source: 'crm', event_source_id: EVENT_SET, data: [event.row] });
  });

  it('puts an offline sale in its lane with its shop, contents and value', () => {
    const sale = entry({
      event_source: 'offline', event_source_id: 'OFFLINE_SET_1', event: 'Purchase', event_id: 'offline-0123456789abcdef0123456789abcdef', lead: undefined,
      user: { email: false, phone: 'c'.repeat(64), external_id: 'd'.repeat(64) },
      properties: { value: 42.5, currency: 'EUR', order_id: 'Shop/0007', shop_id: '3', contents: [{ content_id: '23', content_name: 'Desk', price: 42.5, quantity: 1 }] },
    });
    const event = buildSourceEvent(ClaimedSourceEventSchema.parse(sale), website());
    expect(event.pixelId).toBe('offline:2:OFFLINE_SET_1');
    expect(event.row).toEqual({
      event: 'Purchase',
      event_id: 'offline-0123456789abcdef0123456789abcdef',
      event_time: 1_732_500_000,
      user: { phone: 'c'.repeat(64), external_id: 'd'.repeat(64) },
      properties: { value: 42.5, currency: 'EUR', order_id: 'Shop/0007', shop_id: '3', content_type: 'product', contents: [{ content_id: '23', content_type: 'product', content_name: 'Desk', price: 42.5, quantity: 1 }] },
    });
    expect(JSON.parse(serializeTrackRequest(readLane(event.pixelId), [JSON.stringify(event.row)]))).toMatchObject({ event_source: 'offline', event_source_id: 'OFFLINE_SET_1' });
  });

  it('scrubs what the lead\'s form recorded from the browser', () => {
    const row = buildSourceEvent(ClaimedSourceEventSchema.parse(entry({ user: { email: 'a'.repeat(64), ttclid: 'jane@mail.com', ttp: '<script>' } })), website()).row;
    expect(row.user).toEqual({ email: 'a'.repeat(64) });
  });

  it.each([
    ['a web event name for a CRM Event Set', { event: 'Purchase' }, /event/],
    ['an event set id that could break a lane key', { event_source_id: '73:1' }, /event_source_id/],
    ['an unknown source', { event_source: 'app' }, /event_source/],
    ['a plain e-mail', { user: { email: 'jane@example.com' } }, /user\.email/],
    ['a lead on an offline event', { event_source: 'offline', event: 'Purchase' }, /lead/],
    ['a lead without its id', { lead: { lead_id: ' ', lead_event_source: 'Odoo' } }, /lead\.lead_id/],
    ['an offline sale naming nobody', { event_source: 'offline', event: 'Purchase', lead: undefined, user: { ip: '203.0.113.7' }, properties: { shop_id: '3' } }, /^user$/],
    ['an offline sale without its shop', { event_source: 'offline', event: 'Purchase', lead: undefined, properties: { value: 1 } }, /properties\.shop_id/],
    ['a shop id that is not an id', { event_source: 'offline', event: 'Purchase', lead: undefined, properties: { shop_id: 'Main street <3>' } }, /properties\.shop_id/],
  ])('refuses %s', (_label, overrides, path) => {
    const parsed = ClaimedSourceEventSchema.safeParse(entry(overrides));
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.')).join(' ')).toMatch(path);
  });
});

describe('SourcePoller', () => {
  it('claims, queues once, and reports back sent only after delivery', async () => {
    const odoo = new FakeOdooSourceEvents();
    odoo.add('crm-a', 'Raw');
    odoo.add('crm-b', 'Qualified');
    const outbox = new SqliteOutbox(':memory:');
    const p = poller(odoo, outbox);
    expect(await p.pollOnce()).toBe(2);
    expect(await p.pollOnce()).toBe(0);
    await p.reportSettled();
    expect(odoo.events.map((e) => e.state)).toEqual(['claimed', 'claimed']);
    expect(outbox.immediate.events.dueLanes(Date.now() + 1e9).map((l) => l.pixelId)).toEqual([`crm:1:${EVENT_SET}`]);
    expect(deliverAll(outbox).sort()).toEqual(['crm-a', 'crm-b']);
    await p.reportSettled();
    expect(odoo.events.map((e) => e.state)).toEqual(['sent', 'sent']);
    expect(odoo.calls.filter((c) => c.method === 'tiktok_mark_source_events').map((c) => c.kwargs)).toEqual([{ event_ids: ['crm-a', 'crm-b'], state: 'sent', claimer: p.claimer }]);
    expect(outbox.immediate.sourceClaims.settledClaims(10)).toEqual([]);
  });

  it('reports a refused event failed, and keeps delivered rows until Odoo was told', async () => {
    const odoo = new FakeOdooSourceEvents();
    odoo.add('crm-dead');
    odoo.add('crm-kept');
    const outbox = new SqliteOutbox(':memory:');
    const p = poller(odoo, outbox);
    await p.pollOnce();
    const rows = outbox.immediate.events.dueLanes(Date.now() + 1e9).flatMap((lane) => outbox.immediate.events.claim(lane, Date.now() + 1e9, 10));
    outbox.immediate.events.markDead([rows.find((r) => r.eventId === 'crm-dead')!.id], 40002, 'bad', Date.now());
    outbox.immediate.events.markDelivered([rows.find((r) => r.eventId === 'crm-kept')!.id], Date.now() - 10_000);
    expect(outbox.immediate.events.prune(Date.now())).toBe(0); // not reported yet: kept
    await p.reportSettled();
    expect(odoo.events.map((e) => [e.eventId, e.state])).toEqual([['crm-dead', 'failed'], ['crm-kept', 'sent']]);
    expect(outbox.immediate.events.prune(Date.now())).toBe(1);
  });

  it('two sidecars polling the same Odoo queue each event once between them', async () => {
    const odoo = new FakeOdooSourceEvents();
    for (let i = 1; i <= 40; i++) odoo.add(`crm-${i}`);
    const [a, b] = [new SqliteOutbox(':memory:'), new SqliteOutbox(':memory:')];
    await Promise.all([poller(odoo, a).pollOnce(), poller(odoo, b).pollOnce(), poller(odoo, a).pollOnce(), poller(odoo, b).pollOnce()]);
    const ids = [...deliverAll(a), ...deliverAll(b)];
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('takes over the claim of a sidecar that died, after the lease, with the same event id', async () => {
    const odoo = new FakeOdooSourceEvents();
    odoo.add('crm-7');
    let clock = 1_000_000;
    odoo.now = () => clock;
    await poller(odoo, new SqliteOutbox(':memory:')).pollOnce(); // claimed, then this sidecar vanishes with its outbox
    const survivor = new SqliteOutbox(':memory:');
    expect(await poller(odoo, survivor).pollOnce()).toBe(0);
    clock += 61_000;
    expect(await poller(odoo, survivor).pollOnce()).toBe(1);
    expect(deliverAll(survivor)).toEqual(['crm-7']);
  });

  describe('the website\'s choices, as for its web events (the rows are sent with its token)', () => {
    async function rowsOf(websites: ReturnType<typeof website>[], secondWebsite = 1): Promise<TikTokEventRow[]> {
      const odoo = new FakeOdooSourceEvents();
      odoo.add('crm-ldu', 'Qualified');
      odoo.addOfflineSale('offline-ldu', secondWebsite);
      const outbox = new SqliteOutbox(':memory:');
      await poller(odoo, outbox, websites).pollOnce();
      return storedRows(outbox).sort((a, b) => a.event_id.localeCompare(b.event_id));
    }

    it('asks for limited data use on CRM stages and offline sales when the website does, and only then', async () => {
      const limited = await rowsOf([website({ limitedDataUse: true })]);
      expect(limited.map((r) => [r.event_id, r.limited_data_use])).toEqual([['crm-ldu', true], ['offline-ldu', true]]);
      const plain = await rowsOf([website()]);
      expect(plain.map((r) => r.event_id)).toEqual(['crm-ldu', 'offline-ldu']);
      for (const row of plain) expect(row).not.toHaveProperty('limited_data_use');
    });

    it('follows the website of each event', async () => {
      const rows = await rowsOf([website(), website({ websiteId: 2, pixelId: 'CSECONDPIXEL00000002', limitedDataUse: true })], 2);
      expect(rows.map((r) => [r.event_id, r.limited_data_use])).toEqual([['crm-ldu', undefined], ['offline-ldu', true]]);
    });

    it('keeps the order reference of a point of sale whose name ends in a number', async () => {
      const [, sale] = await rowsOf([website()]);
      expect(sale.properties).toMatchObject({ order_id: 'Boutique 2 - 000005', shop_id: '2' });
    });
  });

  it('marks events of a website without settings here as skipped', async () => {
    const odoo = new FakeOdooSourceEvents();
    odoo.add('crm-x', 'Raw', 99);
    await poller(odoo, new SqliteOutbox(':memory:')).pollOnce();
    expect(odoo.events[0].state).toBe('skipped');
  });

  it('leaves an unreadable event to its lease', async () => {
    const odoo = new FakeOdooSourceEvents();
    odoo.add('crm-bad', 'Purchase');
    const outbox = new SqliteOutbox(':memory:');
    expect(await poller(odoo, outbox).pollOnce()).toBe(1);
    expect(outbox.immediate.events.counts().pending).toBe(0);
    expect(odoo.events[0].state).toBe('claimed');
  });
});
