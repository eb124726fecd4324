/**
 * The browser follows the order, as the server does, on a real Odoo 19 shop:
 * - a shopper whose address moves the cart to a pricelist in EUR: the
 *   browser's AddPaymentInfo and PlaceAnOrder carry the order's own currency,
 *   total and content prices (never a EUR total labelled USD), and the
 *   Purchase's content prices have the currency's decimals, in the browser and
 *   on the server;
 * - a paid card order fires the browser Purchase with the event id the server
 *   sends; an unpaid wire transfer (no opt-in for orders without payment)
 *   fires none, as the server sends none.
 */
import { describeE2E } from './support/env';
import { addToCart, checkoutToPayment, confirmedOrderId, payByWireTransfer, payWithDemo, type Contact } from './support/flows';
import { nothingArrives, queuedPurchase } from './support/pairing';
import { prepareShopData, type ShopData } from './support/shopData';
import { newShopper, type Shopper, type VisitedPage } from './support/shopper';
import { startStack, type Stack } from './support/stack';
import { pairNamed, pairUp } from './support/walk';
import type { TrackCall } from './support/ttqRecorder';

jest.setTimeout(420_000);

const BELGIAN: Contact = { name: 'Bea Belge', email: 'bea.belge@example.com', phone: '+32 470 99 88 77' };
const WIRE: Contact = { name: 'Willy Wire', email: 'willy.wire@example.com', phone: '+32 470 11 00 22' };

interface OrderRead {
  name: string;
  state: string;
  amount_total: number;
  currency_id: [number, string];
  order_line: number[];
}
interface LineRead {
  product_id: [number, string] | false;
  price_unit: number;
  price_reduce_taxexcl: number;
  is_delivery: boolean;
}

const cents = (n: number) => Math.round(n * 100) / 100;

/** A price as TikTok must get it: no float noise, at most the currency's two decimals. */
function expectCents(price: number): void {
  expect(String(price)).toMatch(/^\d+(\.\d{1,2})?$/);
}

/**
 * A visitor's default pricelist in USD (the demo's pricelists are all for
 * countries) and one in EUR for Belgian addresses, ahead of the demo's: a
 * cart starts in USD and the address step moves a Belgian buyer's to EUR.
 */
async function euroPricelistForBelgium(stack: Stack): Promise<void> {
  const { admin } = stack;
  const [eur] = await admin.call<number[]>('res.currency', 'search', [[['name', '=', 'EUR'], ['active', 'in', [true, false]]]]);
  await admin.call('res.currency', 'write', [[eur], { active: true }]);
  const [belgium] = await admin.call<number[]>('res.country', 'search', [[['code', '=', 'BE']]]);
  const group = await admin.call<number>('res.country.group', 'create', [{ name: 'TikTok E2E Belgium', country_ids: [[6, 0, [belgium]]] }]);
  const [usd] = await admin.call<number[]>('res.currency', 'search', [[['name', '=', 'USD']]]);
  await admin.call('product.pricelist', 'create', [
    [
      { name: 'TikTok E2E USD', currency_id: usd, website_id: 1, sequence: 0 },
      { name: 'TikTok E2E EUR', currency_id: eur, country_group_ids: [[6, 0, [group]]], website_id: 1, sequence: 1 },
    ],
  ]);
}

async function enableWireTransfer(stack: Stack): Promise<void> {
  const ids = await stack.admin.call<number[]>('payment.provider', 'search', [[['code', '=', 'custom'], ['custom_mode', '=', 'wire_transfer'], ['company_id', '=', 1]]]);
  await stack.admin.call('payment.provider', 'write', [ids, { state: 'enabled', is_published: true }]);
}

async function readOrder(stack: Stack, orderId: number): Promise<{ order: OrderRead; line: LineRead }> {
  const [order] = await stack.admin.call<OrderRead[]>('sale.order', 'read', [[orderId]], { fields: ['name', 'state', 'amount_total', 'currency_id', 'order_line'] });
  const lines = await stack.admin.call<LineRead[]>('sale.order.line', 'read', [order.order_line], { fields: ['product_id', 'price_unit', 'price_reduce_taxexcl', 'is_delivery'] });
  return { order, line: lines.find((l) => l.product_id && !l.is_delivery)! };
}

describeE2E('the browser follows the order on real Odoo 19', () => {
  let stack: Stack;
  let data: ShopData;

  beforeAll(async () => {
    stack = await startStack({ suite: 'order' });
    data = await prepareShopData(stack.admin);
    await euroPricelistForBelgium(stack);
    await enableWireTransfer(stack);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('a cart moved to EUR by the address step, paid by card', () => {
    let shopper: Shopper;
    let paymentPage: VisitedPage;
    let orderId: number;
    let result: { tracks: TrackCall[]; pairs: Awaited<ReturnType<typeof pairUp>>['pairs'] };

    beforeAll(async () => {
      shopper = await newShopper(stack);
      await addToCart(shopper, data.productUrl, 2);
      await checkoutToPayment(shopper, BELGIAN);
      paymentPage = shopper.visited[shopper.visited.length - 1];
      await payWithDemo(shopper);
      orderId = await confirmedOrderId(shopper.page);
      await shopper.page.waitForTimeout(1000);
      const tracks = await shopper.tracks();
      const { pairs, unpaired } = await pairUp(stack, tracks);
      expect(unpaired).toEqual([]);
      result = { tracks, pairs };
    });

    afterAll(async () => {
      await shopper?.close();
    });

    it('starts in USD: the address step moves it to EUR', () => {
      expect(pairNamed(result, 'AddToCart').browser.properties.currency).toBe('USD');
      expect(pairNamed(result, 'InitiateCheckout').browser.properties.currency).toBe('USD');
    });

    it('is in EUR on the payment page', async () => {
      const { order } = await readOrder(stack, orderId);
      expect(order.currency_id[1]).toBe('EUR');
      expect(paymentPage.config?.order?.currency).toBe('EUR');
    });

    it.each(['AddPaymentInfo', 'PlaceAnOrder'])('sends %s with the order\'s own currency, total and content prices, in the browser and on the server', async (name) => {
      const { order, line } = await readOrder(stack, orderId);
      const { browser, server } = pairNamed(result, name);
      for (const props of [browser.properties, server.row.properties]) {
        expect(props.currency).toBe('EUR');
        expect(props.value).toBe(order.amount_total);
        expect(props.contents).toEqual([expect.objectContaining({ content_id: String(data.productId), quantity: 2, price: cents(line.price_reduce_taxexcl) })]);
        expectCents(props.contents[0].price);
      }
    });

    it('sends the Purchase in EUR with content prices in its decimals, the browser copy with the server\'s event id', async () => {
      const { order, line } = await readOrder(stack, orderId);
      const { browser, server } = pairNamed(result, 'Purchase');
      expect(browser.eventId).toBe((await queuedPurchase(stack, orderId)).event_id);
      for (const props of [browser.properties, server.row.properties]) {
        expect(props.currency).toBe('EUR');
        expect(props.value).toBe(order.amount_total);
        expect(props.contents[0].price).toBe(cents(line.price_unit));
        expectCents(props.contents[0].price);
      }
    });
  });

  describe('a wire transfer not paid yet, without the opt-in for orders without payment', () => {
    let shopper: Shopper;
    let orderId: number;

    beforeAll(async () => {
      shopper = await newShopper(stack);
      await addToCart(shopper, data.productUrl, 1);
      await checkoutToPayment(shopper, WIRE);
      await payByWireTransfer(shopper);
      orderId = await confirmedOrderId(shopper.page);
    });

    afterAll(async () => {
      await shopper?.close();
    });

    it('fires no browser Purchase, as the server sends none', async () => {
      const { order } = await readOrder(stack, orderId);
      expect(order.state).not.toBe('sale');
      const confirmation = shopper.visited[shopper.visited.length - 1];
      expect(confirmation.url).toMatch(/\/shop\/confirmation/);
      expect(confirmation.config).toBeDefined();
      expect(confirmation.config?.purchase).toBeUndefined();
      expect((await shopper.tracks()).map((t) => t.name)).not.toContain('Purchase');
      await expect(queuedPurchase(stack, orderId)).rejects.toThrow(/no TikTok Purchase queued/);
      expect(await nothingArrives(stack.fake, (d) => d.row.event === 'Purchase' && d.row.properties?.order_id === order.name)).toEqual([]);
    });
  });
});
