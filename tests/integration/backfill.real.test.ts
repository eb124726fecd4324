import { odooUnavailableReason } from '../../scripts/odooDev';
import type { FakeEventsApi } from '../support/fakeEventsApi';
import { makePaidOrders, type OdooShop, type PaidOrder } from '../helpers/odooShop';
import { exited } from '../helpers/process';
import { startRealStack, type RealStack } from '../helpers/realStack';

const unavailable = odooUnavailableReason();
if (unavailable) console.warn(`Backfill tests against real Odoo skipped: ${unavailable}`);
const describeWithOdoo = unavailable ? describe.skip : describe;

const PIXEL = 'CBACKFILLPIXEL000001';
const TOKEN = 'backfill-access-token-01';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithOdoo('backfill of missed Purchases, against real Odoo 19', () => {
  let stack: RealStack;
  let shop: OdooShop;
  let api: FakeEventsApi;

  beforeAll(async () => {
    stack = await startRealStack({ name: 'tt_backfill', pixelId: PIXEL, token: TOKEN, pollSeconds: 1 });
    ({ shop, api } = stack);
  }, 15 * 60_000);

  afterAll(() => stack?.stop(), 120_000);

  // The commands and the poller share one outbox.
  const command = (...args: string[]) => stack.command('outbox', ...args);

  const rows = (orders: PaidOrder[]) =>
    shop.psql(`SELECT count(*) FROM tiktok_server_event WHERE sale_order_id IN (${orders.map((o) => o.id).join(',')})`);

  it('queues the orders nothing queued, once; the poller sends each once', async () => {
    const [missed, alsoMissed, staff] = await makePaidOrders(shop, 3);
    // As if the module had been installed after these sales; the demo's own web orders are older.
    shop.psql(`DELETE FROM tiktok_server_event WHERE sale_order_id IN (${[missed, alsoMissed, staff].map((o) => o.id).join(',')})`);
    // A member of the staff bought on the website: the order and its recorded checkout are his.
    shop.psql(`UPDATE sale_order SET partner_id = (SELECT partner_id FROM res_users WHERE login = 'admin') WHERE id = ${staff.id}`);
    shop.psql(`UPDATE tiktok_web_checkout SET partner_id = (SELECT partner_id FROM res_users WHERE login = 'admin') WHERE sale_order_id = ${staff.id}`);
    shop.psql(`UPDATE sale_order SET date_order = now() - interval '30 days' WHERE website_id IS NOT NULL AND id NOT IN (${[missed, alsoMissed, staff].map((o) => o.id).join(',')})`);

    const dry = await command('backfill', '--dry-run');
    expect(dry).toContain('dry run, nothing queued: 2 Purchases to queue, 1 order to skip');
    expect(dry).toContain(`${missed.name} (confirmed `);
    expect(dry).toContain(`${staff.name} (confirmed `);
    expect(dry).toMatch(/skipped: Excluded: the buyer is an internal user/);
    expect(rows([missed, alsoMissed, staff])).toBe('0');

    expect(await command('backfill')).toMatch(/^2 Purchases queued, the poller sends them; 1 order skipped/);
    expect(await command('backfill')).toMatch(/^no web order confirmed since .* UTC is missing its Purchase/);

    const sidecar = await stack.sidecar('outbox');
    const delivered = (o: PaidOrder) => api.delivered.filter((d) => d.row.event_id === o.eventId).length;
    const deadline = Date.now() + 60_000;
    while (delivered(missed) === 0 || delivered(alsoMissed) === 0) {
      if (Date.now() > deadline) throw new Error('the backfilled Purchases were not delivered');
      await sleep(100);
    }
    await sleep(3000); // a few more polls: nothing more comes
    sidecar.kill('SIGTERM');
    await exited(sidecar);
    expect([delivered(missed), delivered(alsoMissed), delivered(staff)]).toEqual([1, 1, 0]);
    expect(shop.psql(`SELECT state FROM tiktok_server_event WHERE sale_order_id = ${missed.id}`)).toBe('sent');
    expect(shop.psql(`SELECT state || ' ' || skip_reason FROM tiktok_server_event WHERE sale_order_id = ${staff.id}`)).toBe('skipped internal_user');
  }, 300_000);
});
