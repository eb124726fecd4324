/**
 * A logged-in customer (the demo portal user) walks the shop: every event with
 * its server copy, `ttq.identify` carrying the SHA-256 e-mail, E.164 phone
 * and external_id the module computed, equal to the keys on every server event
 * (the Purchase from the poller included). Then a second order whose tab is
 * closed before the confirmation page: the server Purchase still arrives once
 * Odoo post-processes the payment (its cron).
 */
import { describeE2E } from './support/env';
import { addToCart, checkoutToPayment, login, payWithDemo } from './support/flows';
import { externalIdOf, hashEmail, hashPhone, queuedPurchase, serverCopy } from './support/pairing';
import { prepareShopData, type ShopData } from './support/shopData';
import { newShopper, type Shopper } from './support/shopper';
import { ACCESS_TOKEN, PIXEL, startStack, type Stack } from './support/stack';
import { ALL_EVENTS, leaksIn, pairNamed, plainForms, walkAllEvents, type WalkContacts, type WalkResult } from './support/walk';

jest.setTimeout(300_000);

describeE2E('logged-in shopper on real Odoo 19', () => {
  let stack: Stack;
  let data: ShopData;
  let shopper: Shopper;
  let walk: WalkResult;
  let customer: { partnerId: number; name: string; email: string; phone: string; e164: string };

  beforeAll(async () => {
    stack = await startStack({ suite: 'login' });
    data = await prepareShopData(stack.admin);
    const [user] = await stack.admin.call<Array<{ partner_id: [number, string] }>>('res.users', 'search_read', [[['login', '=', 'portal']]], { fields: ['partner_id'] });
    const partnerId = user.partner_id[0];
    // A phone without country code: the module must add the partner's (US, +1).
    await stack.admin.call('res.partner', 'write', [[partnerId], { phone: '(683)-556-5104' }]);
    const [partner] = await stack.admin.call<Array<{ name: string; email: string; phone: string }>>('res.partner', 'read', [[partnerId]], { fields: ['name', 'email', 'phone'] });
    customer = { partnerId, name: partner.name, email: partner.email, phone: partner.phone, e164: '+16835565104' };
    shopper = await newShopper(stack);
    await login(shopper, 'portal', 'portal');
    const self = { name: customer.name, email: customer.email, phone: customer.e164 };
    const contacts: WalkContacts = { newsletter: self, contact: self, lead: self, applicant: self, attendee: self };
    walk = await walkAllEvents(stack, shopper, data, contacts);
  });

  afterAll(async () => {
    await shopper?.close();
    await stack?.stop();
  });

  it('fires all 14 events, each with a server copy of the same name and event_id', () => {
    const names = new Set(walk.tracks.map((t) => t.name));
    if (walk.pageViews.length) names.add('PageView');
    expect([...ALL_EVENTS].filter((e) => !names.has(e))).toEqual([]);
    expect(walk.unpaired).toEqual([]);
    expect(walk.missingPageViews).toEqual([]);
    for (const { browser, server } of walk.pairs) {
      expect({ id: server.row.event_id, name: server.row.event, pixel: server.pixelId }).toEqual({ id: browser.eventId, name: browser.name, pixel: PIXEL });
    }
  });

  it('identifies the customer with the hashes Odoo computed, and the server events carry the same keys', async () => {
    const expected = { email: hashEmail(customer.email), phone_number: hashPhone(customer.e164), external_id: await externalIdOf(stack, customer.partnerId) };
    const configs = shopper.visited.filter((v) => v.config);
    for (const visited of configs) expect(visited.config!.identify).toEqual(expected);
    // The login page, with the pixel too, is the anonymous visitor's: its Pageview carries no keys.
    const asCustomer = (url: string) => !new URL(url).pathname.startsWith('/web/login');
    const identifies = (await shopper.ttq()).filter((c) => c.method === 'identify');
    expect(identifies.length).toBeGreaterThanOrEqual(walk.tracks.filter((t) => asCustomer(t.url)).length);
    for (const call of identifies) expect(call.args[0]).toEqual(expected);
    for (const { browser, server } of walk.pairs.filter((p) => asCustomer(p.browser.url))) {
      expect(server.row.user).toMatchObject({ email: expected.email, phone: expected.phone_number, external_id: expected.external_id });
      expect(browser.pixelCode).toBe(PIXEL);
    }
    for (const { server } of walk.pageViews) expect(server.row.user.external_id).toBe(expected.external_id);
  });

  it('pairs the Purchase of the confirmation page with the poller copy, value and contents included', async () => {
    const purchase = pairNamed(walk, 'Purchase');
    expect(purchase.browser.eventId).toBe((await queuedPurchase(stack, walk.orderId)).event_id);
    const [order] = await stack.admin.call<Array<{ amount_total: number }>>('sale.order', 'read', [[walk.orderId]], { fields: ['amount_total'] });
    expect(purchase.server.row.properties).toMatchObject({ value: order.amount_total, currency: 'USD' });
    expect(purchase.browser.properties).toMatchObject({ value: order.amount_total, currency: 'USD' });
    expect(purchase.server.row.properties.contents).toEqual([expect.objectContaining({ content_id: String(data.productId), quantity: 2 })]);
    expect(purchase.server.row.user.external_id).toBe(await externalIdOf(stack, customer.partnerId));
  });

  it('sends the server Purchase of an order whose tab was closed before the confirmation page', async () => {
    const buyer = await newShopper(stack);
    await login(buyer, 'portal', 'portal');
    await addToCart(buyer, data.productUrl, 1);
    await checkoutToPayment(buyer);
    const [, ] = await Promise.all([
      buyer.page.waitForResponse((r) => r.url().includes('/payment/demo/simulate_payment'), { timeout: 30_000 }),
      payWithDemo(buyer, { waitForConfirmation: false }),
    ]);
    // The shopper is gone before the status page could post-process the payment.
    await buyer.close();
    const orders = await stack.admin.call<Array<{ id: number; state: string; tiktok_purchase_state: string | false }>>(
      'sale.order', 'search_read', [[['partner_id', '=', customer.partnerId], ['id', '!=', walk.orderId], ['website_id', '!=', false]]],
      { fields: ['state', 'tiktok_purchase_state'], order: 'id desc', limit: 1 },
    );
    expect(orders).toHaveLength(1);
    const orderId = orders[0].id;
    // Odoo's post-processing cron (not running in tests) picks the paid transaction up.
    const [cron] = await stack.admin.call<Array<{ res_id: number }>>('ir.model.data', 'search_read', [[['module', '=', 'payment'], ['name', '=', 'cron_post_process_payment_tx']]], { fields: ['res_id'] });
    await stack.admin.call('ir.cron', 'method_direct_trigger', [[cron.res_id]]);
    const { event_id: eventId } = await queuedPurchase(stack, orderId);
    const server = await serverCopy(stack.fake, eventId, 15_000);
    expect(server.row.event).toBe('Purchase');
    expect(server.row.user.external_id).toBe(await externalIdOf(stack, customer.partnerId));
    expect(stack.fake.delivered.filter((d) => d.row.event_id === eventId)).toHaveLength(1);
  });

  it('never puts the token or the customer e-mail/phone in the pixel, the panel, the relay or the sidecar log', () => {
    const secrets = plainForms({ name: customer.name, email: customer.email, phone: customer.phone }).concat([customer.e164]);
    expect(leaksIn(shopper, secrets)).toEqual([]);
    const log = stack.sidecarOutput.join('');
    expect(log).not.toContain(ACCESS_TOKEN);
    for (const secret of secrets) expect(log).not.toContain(secret);
  });
});
