/**
 * An anonymous shopper's walk through a real Odoo 19 shop in Chromium: all 14
 * events, each with its browser `ttq` call and a server copy at the Events API
 * carrying the same event name and event_id, with value, currency and contents;
 * advanced matching from the newsletter, contact, lead, job and event forms;
 * the Purchase paid with the demo provider paired with the poller's copy.
 */
import { actionUrl, DASHBOARD_ACTION, openBackOffice, readUntil } from './support/backOffice';
import { describeE2E } from './support/env';
import { prepareShopData, type ShopData } from './support/shopData';
import { newShopper, relayedEvents, type Shopper } from './support/shopper';
import { ACCESS_TOKEN, PIXEL, REPORT_INTERVAL_SECONDS, startStack, type Stack } from './support/stack';
import { hashEmail, hashPhone, queuedPurchase } from './support/pairing';
import { cleanPageUrl } from '../../sidecar/src/contract/privacy';
import { ALL_EVENTS, leaksIn, pairNamed, plainForms, walkAllEvents, type WalkContacts, type WalkResult } from './support/walk';

jest.setTimeout(300_000);

/** Long enough for a report or two on a busy machine. */
const REPORT_WAIT_MS = 20 * REPORT_INTERVAL_SECONDS * 1000;

const contacts: WalkContacts = {
  buyer: { name: 'Ann Buyer', email: 'Ann.Buyer@Example.com', phone: '+32 470 12 34 56' },
  newsletter: { name: 'Nora News', email: 'nora.news@example.com', phone: '+32 470 00 00 01' },
  contact: { name: 'Carl Contact', email: 'carl.contact@example.com', phone: '+32 470 22 33 44' },
  lead: { name: 'Lea Lead', email: 'lea.lead@example.com', phone: '+44 20 7946 0958' },
  applicant: { name: 'Jon Applicant', email: 'jon.applicant@example.com', phone: '+1 415 555 0134' },
  attendee: { name: 'Ada Attendee', email: 'ada.attendee@example.com', phone: '+33 6 12 34 56 78' },
};

/** The fields of one CSV line (RFC 4180 quoting). */
function csvFields(line: string): string[] {
  const field = /(?:"((?:[^"]|"")*)"|([^,"]*))(,|$)/y;
  const fields: string[] = [];
  for (let m = field.exec(line); m; m = m[3] ? field.exec(line) : null) fields.push((m[1] ?? m[2]).replace(/""/g, '"'));
  return fields;
}

describeE2E('anonymous shopper on real Odoo 19', () => {
  let stack: Stack;
  let data: ShopData;
  let shopper: Shopper;
  let walk: WalkResult;

  beforeAll(async () => {
    stack = await startStack({ suite: 'anon' });
    data = await prepareShopData(stack.admin);
    shopper = await newShopper(stack);
    walk = await walkAllEvents(stack, shopper, data, contacts);
  });

  afterAll(async () => {
    await shopper?.close();
    await stack?.stop();
  });

  it('fires all 14 events in the browser, each with a server copy of the same name and event_id', () => {
    const browserNames = new Set(walk.tracks.map((t) => t.name));
    if (walk.pageViews.length) browserNames.add('PageView');
    expect([...ALL_EVENTS].filter((e) => !browserNames.has(e))).toEqual([]);
    expect(walk.unpaired).toEqual([]);
    for (const { browser, server } of walk.pairs) {
      expect({ id: server.row.event_id, name: server.row.event, pixel: server.pixelId }).toEqual({ id: browser.eventId, name: browser.name, pixel: PIXEL });
      // addressed to our pixel only: its instance, and pixel_code in the options
      expect({ pixel: browser.pixel, pixelCode: browser.pixelCode }).toEqual({ pixel: PIXEL, pixelCode: PIXEL });
    }
    // every event id is sent once: TikTok gets no duplicate rows
    const ids = stack.fake.delivered.map((d) => d.row.event_id);
    expect(ids.length).toBe(new Set(ids).size);
  });

  it('pairs every browser Pageview with a server Pageview carrying the page event id', async () => {
    const calls = await shopper.ttq();
    const pagesWithPixel = shopper.visited.filter((v) => v.config);
    expect(pagesWithPixel.length).toBeGreaterThanOrEqual(10);
    expect(walk.missingPageViews).toEqual([]);
    // the browser PageView is ttq.instance(pixel).track('Pageview', {}, {event_id, pixel_code}), never ttq.page()
    expect(calls.filter((c) => c.method === 'page')).toEqual([]);
    for (const visited of pagesWithPixel) {
      // The browser PageView carries the page's event id, the one the server Pageview uses.
      // (A URL visited twice has one Pageview per visit.)
      const pageViews = calls.filter((c) => c.method === 'track' && c.args[0] === 'Pageview' && c.url === visited.url);
      const ids = pageViews.map((c) => (c.args[2] as { event_id?: string } | undefined)?.event_id);
      expect(ids).toContain(visited.config!.page_event_id);
      for (const call of pageViews) {
        expect({ pixel: call.pixel, pixelCode: (call.args[2] as { pixel_code?: string }).pixel_code }).toEqual({ pixel: PIXEL, pixelCode: PIXEL });
      }
    }
    for (const pv of walk.pageViews) {
      expect(pv.server.row.event).toBe('Pageview');
      // the address as the browser may send it: no secret parameter, no fragment
      expect(pv.server.row.page?.url).toBe(cleanPageUrl(pv.url));
    }
  });

  it('reports product, cart and checkout values with currency and contents on both sides', () => {
    const productId = String(data.productId);
    const view = pairNamed(walk, 'ViewContent');
    for (const props of [view.browser.properties, view.server.row.properties]) {
      expect(props.currency).toBe('USD');
      expect(props.value).toBeCloseTo(walk.shownPrice, 2);
      expect(props.contents[0]).toMatchObject({ content_id: productId, content_type: 'product' });
    }
    const add = pairNamed(walk, 'AddToCart');
    for (const props of [add.browser.properties, add.server.row.properties]) {
      // what was added (not the cart line's total), under the product.product id and the
      // product's name without its internal reference, as Odoo's cart controller reports them
      expect(props.contents).toEqual([expect.objectContaining({ content_id: productId, quantity: 2, content_name: data.productName })]);
      expect(props.value).toBeCloseTo(2 * walk.shownPrice, 2);
      expect(props.currency).toBe('USD');
    }
    for (const name of ['InitiateCheckout', 'AddPaymentInfo', 'PlaceAnOrder']) {
      const { browser, server } = pairNamed(walk, name);
      expect(browser.properties.currency).toBe('USD');
      expect(server.row.properties.currency).toBe('USD');
      expect(server.row.properties.value).toBeGreaterThanOrEqual(2 * walk.shownPrice - 0.01);
      expect(server.row.properties.contents.map((c: { content_id: string }) => c.content_id)).toContain(productId);
    }
    expect(pairNamed(walk, 'Search').server.row.properties.query).toBe('desk');
    expect(pairNamed(walk, 'AddToWishlist').server.row.properties.contents[0].content_id).toMatch(/^\d+$/);
  });

  it('pairs the confirmation page Purchase with the poller Purchase (a signed id, not the order number)', async () => {
    const purchase = pairNamed(walk, 'Purchase');
    const queued = await queuedPurchase(stack, walk.orderId);
    expect(purchase.browser.eventId).toBe(queued.event_id);
    expect(purchase.browser.eventId).toMatch(/^purchase-[0-9a-f]{32}$/);
    const [order] = await stack.admin.call<Array<{ amount_total: number; tiktok_purchase_state: string }>>('sale.order', 'read', [[walk.orderId]], {
      fields: ['amount_total', 'tiktok_purchase_state'],
    });
    for (const props of [purchase.browser.properties, purchase.server.row.properties]) {
      expect(props.value).toBeCloseTo(order.amount_total, 2);
      expect(props.currency).toBe('USD');
      expect(props.contents).toEqual([expect.objectContaining({ content_id: String(data.productId), quantity: 2 })]);
    }
    // the server copy carries the buyer's keys from the order and the checkout's browser context
    expect(purchase.server.row.user.email).toBe(hashEmail(contacts.buyer!.email));
    expect(purchase.server.row.user.phone).toBe(hashPhone(contacts.buyer!.phone));
    expect(purchase.server.row.user.user_agent).toMatch(/Chrome\/131/);
    // only the poller sends Purchase: the browser never relays it
    expect(relayedEvents(shopper.relayRequests).some((e) => e.event === 'Purchase')).toBe(false);
    const deadline = Date.now() + 10_000;
    let state = order.tiktok_purchase_state;
    while (state !== 'sent' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      [{ tiktok_purchase_state: state }] = await stack.admin.call<Array<{ tiktok_purchase_state: string }>>('sale.order', 'read', [[walk.orderId]], { fields: ['tiktok_purchase_state'] });
    }
    expect(state).toBe('sent');
  });

  it.each([
    ['Subscribe', 'newsletter'],
    ['Contact', 'contact'],
    ['Lead', 'lead'],
    ['SubmitApplication', 'applicant'],
    ['CompleteRegistration', 'attendee'],
  ] as const)('matches %s to the %s form e-mail and phone, hashed in the browser', async (event, who) => {
    const person = contacts[who];
    const { browser, server } = pairNamed(walk, event);
    expect(server.row.user.email).toBe(hashEmail(person.email));
    if (event !== 'Subscribe' && event !== 'CompleteRegistration') expect(server.row.user.phone).toBe(hashPhone(person.phone));
    // ttq.identify with the same keys just before the browser track
    const calls = await shopper.ttq();
    const trackIndex = calls.findIndex((c) => c.method === 'track' && (c.args[2] as { event_id?: string })?.event_id === browser.eventId);
    const identify = calls[trackIndex - 1];
    expect(identify.method).toBe('identify');
    expect((identify.args[0] as { email?: string }).email).toBe(hashEmail(person.email));
  });

  it("names in ViewContent, AddToCart and Purchase only products of the website's TikTok catalog feed", async () => {
    const [{ tiktok_catalog_urls: urls }] = await stack.admin.call<Array<{ tiktok_catalog_urls: string }>>('website', 'read', [[1]], {
      fields: ['tiktok_catalog_urls'],
    });
    const feedUrl = urls.split('\n').find((url) => url.endsWith('/USD.csv'));
    expect(feedUrl).toBeDefined();
    const res = await fetch(feedUrl!);
    expect(res.status).toBe(200);
    // One product a line (the feed's texts are on one line), fields quoted where they hold a comma or a quote.
    const [header, ...rows] = (await res.text()).trim().split('\r\n').map(csvFields);
    expect(header.slice(0, 2)).toEqual(['sku_id', 'title']);
    const groupColumn = header.indexOf('item_group_id');
    const skus = new Set(rows.map((row) => row[0]));
    const groups = new Set(rows.map((row) => row[groupColumn]).filter(Boolean));
    const named = ['ViewContent', 'AddToCart', 'Purchase'].flatMap((name) => {
      const { server } = pairNamed(walk, name);
      return server.row.properties.contents.map((c: { content_id: string; content_type?: string }) => ({ name, ...c }));
    });
    expect(named.length).toBeGreaterThanOrEqual(3);
    const unmatched = named.filter((c) => !(c.content_type === 'product_group' ? groups : skus).has(c.content_id));
    expect(unmatched).toEqual([]);
  });

  it("reads a 100 % catalog match in the control room, then names the product whose internal reference changed", async () => {
    const office = await openBackOffice(stack);
    try {
      /** The catalog match card of the website: its rate and the content ids it lists as not in the feed. */
      const readMatch = async () => {
        await office.page.goto(actionUrl(DASHBOARD_ACTION));
        const site = office.page.locator('.o_tiktok_catalog_match [data-website-id="1"]');
        await site.waitFor({ state: 'visible', timeout: 60_000 });
        return site.evaluate((el) => ({
          rate: (el.querySelector('.o_tiktok_match_rate')?.textContent ?? '').trim(),
          unmatched: [...el.querySelectorAll('tr[data-content-id]')].map((row) => ({
            contentId: row.getAttribute('data-content-id'),
            product: (row.querySelector('.o_tiktok_unmatched_product')?.textContent ?? '').trim(),
            reason: (row.querySelector('.o_tiktok_unmatched_reason')?.textContent ?? '').trim(),
          })),
        }));
      };
      // The walk's ViewContent, AddToCart and Purchase were delivered: the sidecar reports their content ids.
      expect(await readUntil(readMatch, (m) => m.rate === '100 %', REPORT_WAIT_MS)).toEqual({ rate: '100 %', unmatched: [] });

      // The website names its products by internal reference; a shopper views the product under its code...
      const [code, renamed] = ['TT-E2E-REF-1', 'TT-E2E-REF-2'];
      await stack.admin.call('website', 'write', [[1], { tiktok_content_id_source: 'default_code' }]);
      await stack.admin.call('product.product', 'write', [[data.productId], { default_code: code }]);
      const viewer = await newShopper(stack);
      try {
        await viewer.visit(data.productUrl);
        await viewer.visit('/contactus');
        const sent = () => stack.fake.delivered.some((d) => d.row.event === 'ViewContent' && JSON.stringify(d.row.properties ?? {}).includes(code));
        await readUntil(async () => sent(), Boolean, REPORT_WAIT_MS);
        expect(sent()).toBe(true);
      } finally {
        await viewer.close();
      }
      // ...then the reference changes: the control room names the product the events' id no longer matches.
      await stack.admin.call('product.product', 'write', [[data.productId], { default_code: renamed }]);
      const named = await readUntil(readMatch, (m) => m.unmatched.some((u) => u.contentId === code), REPORT_WAIT_MS);
      expect(named.unmatched.find((u) => u.contentId === code)).toEqual({
        contentId: code,
        product: expect.stringContaining(data.productName),
        reason: expect.stringContaining('internal reference changed'),
      });
      expect(named.rate).not.toBe('100 %');
    } finally {
      await office.close();
      await stack.admin.call('website', 'write', [[1], { tiktok_content_id_source: 'global' }]);
    }
  });

  it('never puts the token or a plain e-mail/phone in pages, the pixel, the relay or the sidecar log', async () => {
    const secrets = Object.values(contacts).flatMap((c) => plainForms(c));
    expect(leaksIn(shopper, secrets)).toEqual([]);
    const calls = JSON.stringify(await shopper.ttq());
    for (const secret of secrets) expect(calls).not.toContain(secret);
    const log = stack.sidecarOutput.join('');
    expect(log).not.toContain(ACCESS_TOKEN);
    for (const secret of secrets) expect(log).not.toContain(secret);
  });
});
