import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../../config';
import { ClaimedPurchaseSchema } from '../../contract/purchase';
import { RelayRequestSchema } from '../../contract/relay';
import { Metrics } from '../../metrics';
import { buildPurchaseEvent } from '../../poller/purchaseEvent';
import { PurchasePoller } from '../../poller/purchasePoller';
import { FakeOdooPurchases } from '../../poller/__tests__/fakeOdooPurchases';
import { createSidecar } from '../../server';
import { StaticSettings } from '../../settings/static';
import * as validate from '../../tiktok/validate';
import { SqliteOutbox } from '../outbox';
import { checkServerRow } from '../rowGate';
import { relayEvent, SHOP, BROWSER_UA, testSidecar, website } from '../../../../tests/helpers/sidecar';
import type { NewOutboxEvent } from '../eventQueue';

const OPTS = { intervalMs: 10, leaseSeconds: 60, batchSize: 50, maxBackoffMs: 100 };
const NOW_SECONDS = Math.floor(Date.now() / 1000);

function purchase(fields: Record<string, unknown> = {}): NewOutboxEvent {
  const entry = ClaimedPurchaseSchema.parse({ order_id: 5, website_id: 1, event_id: 'purchase-so-5', event_time: NOW_SECONDS, value: 10, currency: 'EUR', ...fields });
  return buildPurchaseEvent(entry, website());
}

function deliverAll({ immediate: { events } }: SqliteOutbox): string[] {
  const rows = events.dueLanes(Date.now() + 1e9).flatMap((lane) => events.claim(lane, Date.now() + 1e9, 1000));
  events.markDelivered(rows.map((r) => r.id), Date.now());
  return rows.map((r) => r.eventId);
}

describe('the outbox gate: one row check, whatever built the row', () => {
  it('admits a server row that keeps the contract, and refuses one that breaks it, in words that name the field', () => {
    expect(checkServerRow(purchase())).toMatchObject({ kind: 'admitted' });
    expect(checkServerRow(purchase({ event_time: Date.now() }))).toEqual({
      kind: 'refused',
      event: expect.objectContaining({ eventId: 'purchase-so-5' }),
      reasons: ['event_time looks like milliseconds; use unix seconds'],
    });
    const noCurrency = purchase();
    delete noCurrency.row.properties!.currency;
    expect(checkServerRow(noCurrency)).toMatchObject({ kind: 'refused', reasons: ['properties.value needs properties.currency'] });
  });

  it('leaves how old an event may be to TikTok (each source has its own window), and names events by the lane\'s source', () => {
    expect(checkServerRow(purchase({ event_time: NOW_SECONDS - 30 * 86400 }))).toMatchObject({ kind: 'admitted' });
    const crm = (pixelId: string): NewOutboxEvent => ({ pixelId, event: 'Converted', eventId: 'crm-1', source: 'server', row: { event: 'Converted', event_id: 'crm-1', event_time: NOW_SECONDS } });
    expect(checkServerRow(crm('crm:1:7300000000000000001'))).toMatchObject({ kind: 'admitted' });
    expect(checkServerRow(crm(website().pixelId))).toMatchObject({ kind: 'refused', reasons: ['event "Converted" is not a TikTok event name'] });
  });

  it('a Purchase from Odoo that breaks the contract is not queued: reported failed, logged with its reasons and counted; the good one beside it is sent', async () => {
    const odoo = new FakeOdooPurchases();
    odoo.add(1);
    odoo.add(2, 1, 100, { event_time: Date.now() }); // milliseconds: a module that got its clock wrong
    const outbox = new SqliteOutbox(':memory:');
    const lines: Record<string, unknown>[] = [];
    const refused: [string, number][] = [];
    const p = new PurchasePoller(
      {
        odoo: async () => odoo.transport(),
        settings: new StaticSettings([website()]),
        purchaseClaims: outbox.purchaseClaims,
        log: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) }),
        onEnqueued: () => {},
        onRefused: (queue, count) => refused.push([queue, count]),
      },
      OPTS,
    );
    expect(await p.pollOnce()).toBe(2);
    expect(odoo.orders.map((o) => o.state)).toEqual(['claimed', 'failed']);
    expect(await outbox.events.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 0, dead: 0 });
    expect(refused).toEqual([['purchases', 1]]);
    expect(lines.find((l) => l.level === 50)).toMatchObject({ orders: [{ orderId: 2, reasons: ['event_time looks like milliseconds; use unix seconds'] }] });

    // The good one is delivered and reported sent; the refused one is never reported sent.
    expect(deliverAll(outbox)).toEqual(['purchase-so-1']);
    await p.reportSettled();
    expect(odoo.orders.map((o) => o.state)).toEqual(['sent', 'failed']);
    await outbox.close();
  });

  it('counts the refusals on /metrics, by claim queue', async () => {
    const odoo = new FakeOdooPurchases();
    odoo.add(3, 1, 100, { event_time: Date.now() });
    const cfg = loadConfig({ OUTBOX_PATH: ':memory:', RELAY_PORT: '0', ODOO_URL: 'http://odoo.invalid', ODOO_DB: 'shop', ODOO_LOGIN: 'sidecar', ODOO_API_KEY: 'k'.repeat(40) });
    const metrics = new Metrics();
    const sidecar = createSidecar(cfg, {
      log: pino({ level: 'silent' }),
      metrics,
      outbox: new SqliteOutbox(cfg.OUTBOX_PATH),
      settings: new StaticSettings([website()]),
      odoo: async () => odoo.transport(),
    });
    await sidecar.poller!.pollOnce();
    expect(await metrics.registry.getSingleMetricAsString('tiktok_outbox_rows_refused_total')).toContain('tiktok_outbox_rows_refused_total{queue="purchases"} 1');
    expect(odoo.orders[0].state).toBe('failed');
    await sidecar.outbox.close();
  });

  it('a relayed event is checked once: by the relay\'s contract and the rules only its row shows, never again at the gate', async () => {
    const sidecar = testSidecar();
    const full = jest.spyOn(validate, 'validateEventRow');
    const rowRules = jest.spyOn(validate, 'completenessReasons');
    const contract = jest.spyOn(RelayRequestSchema, 'safeParse');
    try {
      const res = await request(sidecar.handler)
        .post('/tiktok/relay')
        .set('Content-Type', 'application/json')
        .set('Origin', SHOP)
        .set('User-Agent', BROWSER_UA)
        .send(JSON.stringify(relayEvent({ event_id: 'once-1' })));
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ accepted: 1 });
      expect(contract).toHaveBeenCalledTimes(1);
      expect(rowRules).toHaveBeenCalledTimes(1);
      expect(full).not.toHaveBeenCalled();
    } finally {
      jest.restoreAllMocks();
      await sidecar.outbox.close();
    }
  });
});
