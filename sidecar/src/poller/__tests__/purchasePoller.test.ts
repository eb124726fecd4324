import pino from 'pino';
import { SqliteOutbox } from '../../outbox/outbox';
import { StaticSettings } from '../../settings/static';
import { PurchasePoller } from '../purchasePoller';
import { ClaimedPurchaseSchema } from '../../contract/purchase';
import { buildPurchaseEvent } from '../purchaseEvent';
import { FakeOdooPurchases } from './fakeOdooPurchases';
import { website } from '../../../../tests/helpers/sidecar';
import { VECTORS } from '../../../../tests/vectors/contractVectors';

const log = pino({ level: 'silent' });
const OPTS = { intervalMs: 10, leaseSeconds: 60, batchSize: 50, maxBackoffMs: 100 };

function poller(odoo: FakeOdooPurchases, outbox: SqliteOutbox, websites = [website()], claimer?: string) {
  return new PurchasePoller({ odoo: async () => odoo.transport(), settings: new StaticSettings(websites), purchaseClaims: outbox.purchaseClaims, log, onEnqueued: () => {} }, { ...OPTS, claimer });
}

function deliverAll({ immediate: { events } }: SqliteOutbox): string[] {
  const rows = events.dueLanes(Date.now() + 1e9).flatMap((lane) => events.claim(lane, Date.now() + 1e9, 1000));
  events.markDelivered(rows.map((r) => r.id), Date.now());
  return rows.map((r) => r.eventId);
}

describe('buildPurchaseEvent', () => {
  it('uses the order\'s event id, the pixel\'s Purchase name, value, contents and match keys', () => {
    const purchase = ClaimedPurchaseSchema.parse({
      order_id: 42, website_id: 1, event_id: 'purchase-so-42', event_time: 1_732_500_000, order_name: 'S00042', value: 1350, currency: 'USD',
      contents: [{ content_id: '23', content_name: 'Desk', price: 675, quantity: 2 }],
      user: { email: 'a'.repeat(64), phone: false, external_id: 'b'.repeat(64), ip: '203.0.113.7', user_agent: 'UA', ttclid: '', ttp: '2Ab3cD4eF5gH6iJ7kL8mN9oP0q' },
      page_url: 'https://shop.example/shop/confirmation',
    });
    const event = buildPurchaseEvent(purchase, website({ eventNames: { Purchase: 'CompletePayment', SubmitForm: 'SubmitForm' }, testEventCode: 'T1' }));
    expect(event).toMatchObject({ pixelId: website().pixelId, event: 'CompletePayment', eventId: 'purchase-so-42', testEventCode: 'T1', source: 'server' });
    expect(event.row).toEqual({
      event: 'CompletePayment',
      event_id: 'purchase-so-42',
      event_time: 1_732_500_000,
      user: { email: 'a'.repeat(64), external_id: 'b'.repeat(64), ip: '203.0.113.7', user_agent: 'UA', ttp: '2Ab3cD4eF5gH6iJ7kL8mN9oP0q' },
      properties: { contents: [{ content_id: '23', content_type: 'product', content_name: 'Desk', price: 675, quantity: 2 }], content_type: 'product', currency: 'USD', value: 1350, order_id: 'S00042' },
      page: { url: 'https://shop.example/shop/confirmation' },
    });
  });

  describe('name and address keys of the buyer (the vectors of the module\'s identify)', () => {
    const { contact_name_address: identify, contact } = VECTORS.partner_identify;
    // The module's claim names the phone `phone`, as the Events API does; everything else as in ttq.identify.
    const { phone_number: phone, ...rest } = identify;
    const claim = ClaimedPurchaseSchema.parse({
      order_id: 9, website_id: 1, event_id: 'purchase-so-9', event_time: 1_732_500_000, value: 10, currency: 'EUR',
      user: { ...rest, phone },
    });

    it('sends them exactly as the browser\'s identify carries them when the website shares them', () => {
      const { user } = buildPurchaseEvent(claim, website({ matchKeys: 'contact_name_address' })).row;
      expect(user).toEqual({ ...rest, phone });
    });

    it('sends the contact keys only under the default level', () => {
      const { user } = buildPurchaseEvent(claim, website()).row;
      expect(user).toEqual({ email: contact.email, phone: contact.phone_number, external_id: contact.external_id });
    });

    it('asks for limited data use when the website does', () => {
      expect(buildPurchaseEvent(claim, website({ limitedDataUse: true })).row.limited_data_use).toBe(true);
      expect(buildPurchaseEvent(claim, website()).row).not.toHaveProperty('limited_data_use');
    });

    it('asks for limited data use for a buyer whose checkout sent Global Privacy Control, under that policy only', () => {
      const withGpc = ClaimedPurchaseSchema.parse({ ...claim, gpc: true });
      expect(buildPurchaseEvent(withGpc, website({ gpc: 'limited_data_use' })).row.limited_data_use).toBe(true);
      expect(buildPurchaseEvent(claim, website({ gpc: 'limited_data_use' })).row).not.toHaveProperty('limited_data_use');
      expect(buildPurchaseEvent(withGpc, website({ gpc: 'ignore' })).row).not.toHaveProperty('limited_data_use');
      // a module before the setting says nothing of it: no signal
      expect(claim.gpc).toBe(false);
    });
  });

  it('applies the relay\'s scrub to what Odoo recorded from the browser', () => {
    const purchase = ClaimedPurchaseSchema.parse({
      order_id: 7, website_id: 1, event_id: 'purchase-so-7', event_time: 1_732_500_000, order_name: 'S00007', value: 10, currency: 'EUR',
      contents: [{ content_id: '23', content_name: 'Desk for jane@mail.com', price: 10, quantity: 1 }],
      user: { ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11) Chrome/131.0 jane@mail.com', ttclid: 'jane@mail.com', ttp: '<script>x</script>' },
      page_url: 'https://shop.example/shop/confirmation?access_token=9f1e-secret#x',
    });
    const row = buildPurchaseEvent(purchase, website()).row;
    expect(row.user).toEqual({ ip: '203.0.113.7' });
    expect(row.page).toEqual({ url: 'https://shop.example/shop/confirmation' });
    expect(row.properties?.contents).toEqual([{ content_id: '23', content_type: 'product', content_name: 'Desk for [redacted]', price: 10, quantity: 1 }]);
    expect(JSON.stringify(row)).not.toMatch(/@|access_token|script/);
  });

  it('drops a confirmation address outside the website\'s domains, and bounds none for a website without domains', () => {
    const purchase = ClaimedPurchaseSchema.parse({
      order_id: 8, website_id: 1, event_id: 'purchase-so-8', event_time: 1_732_500_000, value: 10, currency: 'EUR',
      page_url: 'https://other.example/shop/confirmation',
    });
    expect(buildPurchaseEvent(purchase, website()).row.page).toBeUndefined();
    expect(buildPurchaseEvent(purchase, website({ domains: [] })).row.page).toEqual({ url: 'https://other.example/shop/confirmation' });
  });

  it('refuses an answer in a currency that is not ISO 4217', () => {
    const base = { order_id: 1, website_id: 1, event_id: 'purchase-so-1', event_time: 1, value: 1 };
    expect(ClaimedPurchaseSchema.safeParse({ ...base, currency: 'EUR' }).success).toBe(true);
    expect(ClaimedPurchaseSchema.safeParse({ ...base, currency: 'ABC' }).success).toBe(false);
  });

  it('refuses an answer with plain match keys or a value as text', () => {
    const base = { order_id: 1, website_id: 1, event_id: 'purchase-so-1', event_time: 1, value: 1, currency: 'USD' };
    expect(ClaimedPurchaseSchema.safeParse({ ...base, user: { email: 'john@example.com' } }).success).toBe(false);
    expect(ClaimedPurchaseSchema.safeParse({ ...base, value: '1' }).success).toBe(false);
  });
});

describe('PurchasePoller', () => {
  it('claims, queues once, and reports back sent only after delivery', async () => {
    const odoo = new FakeOdooPurchases();
    odoo.add(1);
    odoo.add(2);
    const outbox = new SqliteOutbox(':memory:');
    const p = poller(odoo, outbox);
    expect(await p.pollOnce()).toBe(2);
    expect(await p.pollOnce()).toBe(0);
    await p.reportSettled();
    expect(odoo.orders.map((o) => o.state)).toEqual(['claimed', 'claimed']);
    expect(deliverAll(outbox).sort()).toEqual(['purchase-so-1', 'purchase-so-2']);
    await p.reportSettled();
    expect(odoo.orders.map((o) => o.state)).toEqual(['sent', 'sent']);
    expect(outbox.immediate.purchaseClaims.settledClaims(10)).toEqual([]);
  });

  it('two sidecars polling the same Odoo queue each order once between them', async () => {
    const odoo = new FakeOdooPurchases();
    for (let i = 1; i <= 40; i++) odoo.add(i);
    const [a, b] = [new SqliteOutbox(':memory:'), new SqliteOutbox(':memory:')];
    await Promise.all([poller(odoo, a).pollOnce(), poller(odoo, b).pollOnce(), poller(odoo, a).pollOnce(), poller(odoo, b).pollOnce()]);
    const ids = [...deliverAll(a), ...deliverAll(b)];
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('takes over the claim of a sidecar that died, after the lease, with the same event id', async () => {
    const odoo = new FakeOdooPurchases();
    odoo.add(7);
    let clock = 1_000_000;
    odoo.now = () => clock;
    const dead = new SqliteOutbox(':memory:');
    await poller(odoo, dead).pollOnce(); // claimed, then this sidecar vanishes with its outbox
    const survivor = new SqliteOutbox(':memory:');
    expect(await poller(odoo, survivor).pollOnce()).toBe(0);
    clock += 61_000;
    expect(await poller(odoo, survivor).pollOnce()).toBe(1);
    expect(deliverAll(survivor)).toEqual(['purchase-so-7']);
  });

  it('reports under its own name, so a late replica whose claim was taken over changes nothing', async () => {
    const odoo = new FakeOdooPurchases();
    odoo.add(8);
    let clock = 1_000_000;
    odoo.now = () => clock;
    const [slowOutbox, fastOutbox] = [new SqliteOutbox(':memory:'), new SqliteOutbox(':memory:')];
    const slow = poller(odoo, slowOutbox, [website()], 'replica-slow');
    const fast = poller(odoo, fastOutbox, [website()], 'replica-fast');
    await slow.pollOnce();
    clock += 61_000;
    expect(await fast.pollOnce()).toBe(1);
    // The slow replica's copy is refused for good; its late "failed" must not undo the fast one's claim.
    const slowRows = slowOutbox.immediate.events.dueLanes(Date.now() + 1e9).flatMap((lane) => slowOutbox.immediate.events.claim(lane, Date.now() + 1e9, 10));
    slowOutbox.immediate.events.markDead(slowRows.map((r) => r.id), 40002, 'refused', Date.now());
    await slow.reportSettled();
    expect(odoo.calls.filter((c) => c.method === 'tiktok_mark_purchases').map((c) => c.kwargs)).toEqual([{ order_ids: [8], state: 'failed', claimer: 'replica-slow' }]);
    expect(odoo.orders[0]).toMatchObject({ state: 'claimed', claimer: 'replica-fast' });
    expect(deliverAll(fastOutbox)).toEqual(['purchase-so-8']);
    await fast.reportSettled();
    expect(odoo.orders[0].state).toBe('sent');
  });

  it('marks orders of a website without a usable pixel as skipped', async () => {
    const odoo = new FakeOdooPurchases();
    odoo.add(3, 99);
    const p = poller(odoo, new SqliteOutbox(':memory:'));
    await p.pollOnce();
    expect(odoo.orders[0].state).toBe('skipped');
  });

  it('backs off while Odoo is down and loses nothing', async () => {
    const odoo = new FakeOdooPurchases();
    odoo.add(5);
    odoo.down = true;
    const outbox = new SqliteOutbox(':memory:');
    const p = poller(odoo, outbox);
    p.start();
    await new Promise((r) => setTimeout(r, 150));
    const attemptsWhileDown = odoo.calls.length;
    expect(attemptsWhileDown).toBeLessThan(10); // 10 ms interval, but backing off
    odoo.down = false;
    await new Promise((r) => setTimeout(r, 300));
    await p.stop();
    expect(deliverAll(outbox)).toEqual(['purchase-so-5']);
  });
});
