import { odooUnavailableReason } from '../../scripts/odooDev';
import { hashEmail, hashPhone, odooExternalId } from '../../sidecar/src/tiktok/__tests__/nodeHash';
import type { FakeEventsApi } from '../support/fakeEventsApi';
import { databaseSecret, type OdooShop } from '../helpers/odooShop';
import { exited } from '../helpers/process';
import { startRealStack, until, type RealStack } from '../helpers/realStack';

const unavailable = odooUnavailableReason();
if (unavailable) console.warn(`Point of Sale offline events against real Odoo skipped: ${unavailable}`);
const describeWithOdoo = unavailable ? describe.skip : describe;

const PIXEL = 'CPOSPIXEL00000000001';
const EVENT_SET = '7400000000000000042';
const TOKEN = 'pos-access-token-0001';
const POLL_SECONDS = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PaidOrders {
  configId: number;
  currency: string;
  customer: { id: number; email: string; phone: string; countryCode: string };
  withCustomer: { name: string; total: number; eventId: string };
  anonymous: { eventId: string };
}

describeWithOdoo('Point of Sale offline Purchases, against real Odoo 19', () => {
  let stack: RealStack;
  let shop: OdooShop;
  let api: FakeEventsApi;

  beforeAll(async () => {
    // The website's one token sends its pixel and the point of sale's Offline Event Set.
    stack = await startRealStack({ name: 'tt_pos', pixelId: PIXEL, token: TOKEN, eventSets: [EVENT_SET], pollSeconds: POLL_SECONDS });
    ({ shop, api } = stack);
    // Limited data use is the website's choice for every row sent with its token, offline sales included.
    await shop.shellAsync(`env['website'].browse(1).tiktok_limited_data_use = 'on'`);
  }, 15 * 60_000);

  afterAll(() => stack?.stop(), 120_000);

  const sidecar = (name: string) => stack.sidecar(name);

  /** A session of a new point of sale and two orders paid in it: one of a customer, one anonymous. */
  async function payOrders(): Promise<PaidOrders> {
    const out = await shop.shellAsync(`
import json
from odoo.addons.website_tiktok_events_pos.tests.common import open_pos_session, pos_order
website = env['website'].browse(1)
# A shop whose name ends in a number: its orders are named 'Boutique 2 - 000001', no phone number.
config = env['pos.config'].create({'name': 'Boutique 2', 'company_id': website.company_id.id})
config.write({'tiktok_offline_event_set_id': '${EVENT_SET}', 'tiktok_website_id': website.id})
session = open_pos_session(env, config)
product = env['product.product'].create({'name': 'Oak stool', 'list_price': 12.5, 'available_in_pos': True})
country = env.ref('base.be')
customer = env['res.partner'].create({'name': 'Till Buyer', 'email': 'Till.Buyer@Example.com',
                                      'phone': '0470 98 76 54', 'country_id': country.id})
with_customer = pos_order(env, session, product, partner=customer, qty=2, price_unit=12.5)
anonymous = pos_order(env, session, product, qty=1, price_unit=12.5)
Queue = env['tiktok.source.event'].sudo()
def event_id(order):
    sale = env['tiktok.pos.sale'].sudo().search([('order_id', '=', order.id)])
    return Queue.search([('res_model', '=', 'tiktok.pos.sale'), ('res_id', '=', sale.id)]).event_id
print('@@RESULT@@' + json.dumps({
    'configId': config.id, 'currency': with_customer.currency_id.name,
    'customer': {'id': customer.id, 'email': customer.email, 'phone': customer.phone,
                 'countryCode': country.code},
    'withCustomer': {'name': with_customer.name, 'total': with_customer.amount_total,
                     'eventId': event_id(with_customer)},
    'anonymous': {'eventId': event_id(anonymous)},
}))
`);
    return JSON.parse(out) as PaidOrders;
  }

  const deliveries = (eventId: string) => api.delivered.filter((d) => d.row.event_id === eventId);
  const odooState = (eventId: string) =>
    shop.psql(`SELECT state || ':' || coalesce(skip_reason, '') FROM tiktok_source_event WHERE event_id = '${eventId}'`);

  it('a paid order with a customer is one offline Purchase with the event set, shop, its order reference, hashed keys and limited data use; an anonymous one none', async () => {
    const child = await sidecar('replica-a');
    const orders = await payOrders();
    expect(orders.withCustomer.eventId).toMatch(/^offline-[0-9a-f]{32}$/);
    expect(orders.anonymous.eventId).toMatch(/^offline-[0-9a-f]{32}$/);
    await until(() => deliveries(orders.withCustomer.eventId).length > 0, 60_000, 'the offline Purchase');
    await until(() => odooState(orders.withCustomer.eventId) === 'sent:', 20_000, 'the Purchase marked sent in Odoo');
    await until(() => odooState(orders.anonymous.eventId) === 'skipped:anonymous', 20_000, 'the anonymous sale skipped');
    await sleep(POLL_SECONDS * 3000);
    child.kill('SIGTERM');
    await exited(child);

    const offline = api.delivered.filter((d) => d.eventSource === 'offline');
    expect(offline).toHaveLength(1);
    const [{ row, pixelId, eventSource }] = offline;
    expect({ eventSource, pixelId, event: row.event, eventId: row.event_id })
      .toEqual({ eventSource: 'offline', pixelId: EVENT_SET, event: 'Purchase', eventId: orders.withCustomer.eventId });
    expect(row.user.email).toBe(hashEmail(orders.customer.email));
    expect(row.user.phone).toBe(hashPhone(orders.customer.phone, orders.customer.countryCode));
    expect(row.user.external_id).toBe(odooExternalId(databaseSecret(shop), orders.customer.id));
    expect(row.limited_data_use).toBe(true);
    expect(orders.withCustomer.name).toMatch(/^Boutique 2 - \d{6}$/);
    expect(row.properties).toMatchObject({
      shop_id: String(orders.configId),
      order_id: orders.withCustomer.name,
      value: orders.withCustomer.total,
      currency: orders.currency,
    });
    expect(row.properties.contents).toEqual([
      expect.objectContaining({ content_name: 'Oak stool', price: 12.5, quantity: 2 }),
    ]);
    expect(deliveries(orders.anonymous.eventId)).toEqual([]);
  }, 240_000);
});
