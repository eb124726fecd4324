import type { ChildProcess } from 'node:child_process';
import { odooUnavailableReason } from '../../scripts/odooDev';
import { hashEmail, hashPhone, odooExternalId } from '../../sidecar/src/tiktok/__tests__/nodeHash';
import type { FakeEventsApi } from '../support/fakeEventsApi';
import { databaseSecret, makePaidOrders, type OdooShop, type PaidOrder } from '../helpers/odooShop';
import { exited } from '../helpers/process';
import { startRealStack, until, type RealStack } from '../helpers/realStack';

const unavailable = odooUnavailableReason();
if (unavailable) console.warn(`Purchase tests against real Odoo skipped: ${unavailable}`);
const describeWithOdoo = unavailable ? describe.skip : describe;

const PIXEL = 'CPURCHASEPIXEL000001';
const TOKEN = 'purchase-access-token-01';
const POLL_SECONDS = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithOdoo('Purchase from confirmed payments, against real Odoo 19', () => {
  let stack: RealStack;
  let shop: OdooShop;
  let api: FakeEventsApi;

  beforeAll(async () => {
    stack = await startRealStack({ name: 'tt_purchase', pixelId: PIXEL, token: TOKEN, pollSeconds: POLL_SECONDS });
    ({ shop, api } = stack);
  }, 15 * 60_000);

  afterAll(() => stack?.stop(), 120_000);

  const sidecar = (name: string, env?: Record<string, string>) => stack.sidecar(name, env);

  const deliveries = (eventId: string) => api.delivered.filter((d) => d.row.event_id === eventId);
  const odooState = (order: PaidOrder) => shop.psql(`SELECT state FROM tiktok_server_event WHERE sale_order_id = ${order.id}`);

  async function stop(child: ChildProcess): Promise<void> {
    child.kill('SIGTERM');
    await exited(child);
  }

  // How soon it is sent (poll interval + 2 s at p95) is a speed bar: `npm run bench:poll` measures it.
  it.each(['json2', 'xmlrpc'] as const)('an order paid with the demo provider yields exactly one Purchase (%s)', async (transport) => {
    const child = await sidecar(`single-${transport}`, { ODOO_TRANSPORT: transport });
    const [order] = await makePaidOrders(shop, 1);
    const eventId = order.eventId;
    await until(() => deliveries(eventId).length > 0, (POLL_SECONDS + 10) * 1000, `Purchase ${eventId}`);
    await until(() => odooState(order) === 'sent', 10_000, `order ${order.name} marked sent`);
    await sleep(POLL_SECONDS * 2000);
    await stop(child);

    expect(deliveries(eventId)).toHaveLength(1);
    const { row, pixelId } = deliveries(eventId)[0];
    expect(pixelId).toBe(PIXEL);
    expect(row.event).toBe('Purchase');
    expect(row.properties.value).toBeCloseTo(order.amount, 2);
    expect(row.properties.currency).toBe(order.currency);
    expect(row.properties.order_id).toBe(order.name);
    expect(row.properties.contents).toEqual(
      order.lines.map((l) => ({ content_id: String(l.productId), content_type: 'product', content_name: l.name, price: l.price, quantity: l.qty })),
    );
    expect(row.user.email).toBe(hashEmail(order.email));
    if (order.phone) expect(row.user.phone).toBe(hashPhone(order.phone, order.country));
    expect(row.user.external_id).toBe(odooExternalId(databaseSecret(shop), order.partnerId));
    expect(row.user).toMatchObject({ ip: expect.stringMatching(/^203\.0\.113\./), user_agent: expect.stringContaining('Chrome'), ttclid: expect.stringMatching(/^E\.C\.P\./), ttp: expect.stringMatching(/^2TtpCookieTest\d{8}$/) });
  }, 120_000);

  it('two sidecars polling one Odoo deliver each order once', async () => {
    const a = await sidecar('replica-a');
    const b = await sidecar('replica-b');
    const orders = await makePaidOrders(shop, 8);
    const ids = orders.map((o) => o.eventId);
    await until(() => ids.every((id) => deliveries(id).length > 0), 60_000, 'all 8 purchases');
    await until(() => orders.every((o) => odooState(o) === 'sent'), 20_000, 'all 8 orders marked sent');
    await sleep(POLL_SECONDS * 3000);
    await Promise.all([stop(a), stop(b)]);
    expect(ids.map((id) => deliveries(id).length)).toEqual(ids.map(() => 1));
  }, 180_000);

  it('takes over the claim of a sidecar killed right after claiming, and delivers once', async () => {
    const lease = 10;
    // This replica claims but cannot reach TikTok, then dies with its outbox.
    const doomed = await sidecar('doomed', { PURCHASE_LEASE_SECONDS: String(lease), TIKTOK_API_BASE_URL: 'http://127.0.0.1:9/open_api' });
    const [order] = await makePaidOrders(shop, 1);
    await until(() => odooState(order) === 'claimed', 20_000, 'the claim');
    doomed.kill('SIGKILL');
    await exited(doomed);
    // The lease as Odoo wrote it (UTC, whole seconds), not when this test happened to see the claim.
    const leaseUntil = Date.parse(`${shop.psql(`SELECT to_char(lease_until, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM tiktok_server_event WHERE sale_order_id = ${order.id}`)}`);
    expect(leaseUntil).not.toBeNaN();
    const survivor = await sidecar('survivor', { PURCHASE_LEASE_SECONDS: String(lease) });
    const eventId = order.eventId;
    await until(() => deliveries(eventId).length > 0, (lease + 30) * 1000, 'the taken-over Purchase');
    // Odoo hands the row out again only once its lease has ended (second precision).
    expect(deliveries(eventId)[0].receivedAt).toBeGreaterThanOrEqual(leaseUntil - 1000);
    await until(() => odooState(order) === 'sent', 10_000, 'order marked sent');
    await stop(survivor);
    expect(deliveries(eventId)).toHaveLength(1);
  }, 180_000);
});
