/**
 * Nothing is lost between the browser and the sidecar: a visit begins while
 * the sidecar is down (its first three pages, each left as soon as it made its
 * events), then the sidecar is back and the shopper buys. Every browser event
 * of the visit (recorded when the page made it, also on pages left before
 * events.js loaded) reaches the Events API with its own event id, and no
 * event id reaches it twice.
 */
import { describeE2E } from './support/env';
import { addToCart, checkoutToPayment, confirmedOrderId, payWithDemo } from './support/flows';
import { pairUp } from './support/walk';
import { prepareShopData, type ShopData } from './support/shopData';
import { newShopper, settle, type Shopper } from './support/shopper';
import { PIXEL, startStack, type Stack } from './support/stack';
import type { TrackCall } from './support/ttqRecorder';

jest.setTimeout(420_000);

/** Opens a page and leaves it as soon as it made the events it is expected to make. */
async function glance(shopper: Shopper, path: string, expected: string[]): Promise<TrackCall[]> {
  const before = (await shopper.sourceTracks()).length;
  await shopper.page.goto(path, { waitUntil: 'load' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const made = (await shopper.sourceTracks()).slice(before);
    if (expected.every((name) => made.some((t) => t.name === name))) return made;
    if (Date.now() > deadline) throw new Error(`${path} made [${made.map((t) => t.name).join(', ')}], not all of [${expected.join(', ')}]`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeE2E('a visit that begins while the sidecar is down', () => {
  let stack: Stack;
  let data: ShopData;
  let shopper: Shopper;
  let madeWhileDown: TrackCall[];
  let tracks: TrackCall[];
  let orderId: number;

  beforeAll(async () => {
    stack = await startStack({ suite: 'down' });
    data = await prepareShopData(stack.admin);
    // A fresh database compiles its assets on its first page: not part of the visit.
    const warmUp = await newShopper(stack);
    await warmUp.visit(data.productUrl);
    await warmUp.close();

    shopper = await newShopper(stack, { recordAtSource: true });
    await stack.stopSidecar();
    madeWhileDown = [
      ...(await glance(shopper, '/shop?search=desk', ['Pageview', 'Search'])),
      ...(await glance(shopper, data.productUrl, ['Pageview', 'ViewContent'])),
      ...(await glance(shopper, '/contactus', ['Pageview'])),
    ];
    await stack.restartSidecar();
    await addToCart(shopper, data.productUrl, 1);
    await checkoutToPayment(shopper, { name: 'Dora Down', email: 'dora.down@example.com', phone: '+32 470 55 66 77' });
    await payWithDemo(shopper);
    orderId = await confirmedOrderId(shopper.page);
    await glance(shopper, '/shop?search=chair', ['Pageview', 'Search']);
    await glance(shopper, '/contactus', ['Pageview']);
    // The visit ends on a page the shopper stays on.
    await shopper.page.goto('/');
    await settle(shopper.page);
    tracks = await shopper.sourceTracks();
  });

  afterAll(async () => {
    await shopper?.close();
    await stack?.stop();
  });

  it('made page views, a search and a product view while the sidecar was down', () => {
    expect(madeWhileDown.map((t) => t.name).sort()).toEqual(['Pageview', 'Pageview', 'Pageview', 'Search', 'ViewContent']);
    expect(orderId).toBeGreaterThan(0);
  });

  it('delivers every browser event of the visit with its own event id, none twice', async () => {
    const names = new Set(tracks.map((t) => t.name));
    for (const name of ['Pageview', 'Search', 'ViewContent', 'AddToCart', 'InitiateCheckout', 'AddPaymentInfo', 'PlaceAnOrder', 'Purchase']) {
      expect({ name, made: names.has(name) }).toEqual({ name, made: true });
    }
    const { pairs, unpaired } = await pairUp(stack, tracks, 60_000);
    expect(unpaired).toEqual([]);
    for (const { browser, server } of pairs) {
      expect({ id: server.row.event_id, name: server.row.event, pixel: server.pixelId }).toEqual({ id: browser.eventId, name: browser.name, pixel: PIXEL });
    }
    // each browser event has an id of its own
    const made = tracks.map((t) => t.eventId);
    expect(made.length).toBe(new Set(made).size);
    // and TikTok receives each event id once, also given time for a late copy
    await new Promise((r) => setTimeout(r, 3000));
    const delivered = stack.fake.delivered.map((d) => d.row.event_id);
    expect(delivered.filter((id, i) => delivered.indexOf(id) !== i)).toEqual([]);
  });
});
