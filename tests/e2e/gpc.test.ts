/**
 * Global Privacy Control end to end on real Odoo 19 in Chromium: a visitor
 * whose browser sends `Sec-GPC: 1` and says `navigator.globalPrivacyControl`
 * walks the shop under each policy of the website, and the test reads both
 * sides: the recorded `ttq` calls (local events.js stand-in) and what reached
 * the fake Events API.
 * - ignore: the pixel and the server copy as for anyone;
 * - limited data use: the pixel is not loaded, the server copies carry
 *   `limited_data_use: true`;
 * - treat as refused: nothing reaches TikTok from either side.
 */
import { describeE2E } from './support/env';
import { nothingArrives, serverCopy } from './support/pairing';
import { newShopper, relayedEvents, type Shopper } from './support/shopper';
import { PIXEL, startStack, type Stack } from './support/stack';

jest.setTimeout(300_000);

/** What a browser with Global Privacy Control on says, on every request and to scripts. */
async function gpcShopper(stack: Stack): Promise<Shopper> {
  const shopper = await newShopper(stack, { extraHeaders: { 'Sec-GPC': '1' } });
  await shopper.context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }));
  return shopper;
}

describeE2E('Global Privacy Control on real Odoo 19, per policy', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ suite: 'gpc' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function withPolicy(policy: 'ignore' | 'limited_data_use' | 'refuse', query: string): Promise<Shopper> {
    await stack.admin.call('website', 'write', [[1], { tiktok_gpc: policy }]);
    // the sidecar reads the website's policy with its settings
    await stack.restartSidecar();
    const shopper = await gpcShopper(stack);
    await shopper.visit(`/shop?search=${query}`);
    await shopper.visit('/contactus');
    return shopper;
  }

  it('ignore: the pixel and the server copy, as for any visitor', async () => {
    const shopper = await withPolicy('ignore', 'ignored');
    try {
      const search = (await shopper.tracks()).find((t) => t.name === 'Search' && t.properties.query === 'ignored');
      expect(search).toBeDefined();
      const server = await serverCopy(stack.fake, search!.eventId);
      expect(server.row).not.toHaveProperty('limited_data_use');
    } finally {
      await shopper.close();
    }
  });

  it('limited data use: the pixel is not loaded, every server copy asks TikTok for limited data use', async () => {
    const shopper = await withPolicy('limited_data_use', 'limited');
    try {
      expect(shopper.tiktokRequests).toEqual([]);
      expect(await shopper.ttq()).toEqual([]);
      const relayed = relayedEvents(shopper.relayRequests);
      expect(relayed.map((e) => e.pixel).filter(Boolean)).toEqual(expect.arrayContaining(['withheld']));
      const search = relayed.find((e) => e.event === 'Search' && e.properties?.query === 'limited');
      expect(search?.pixel).toBe('withheld');
      expect((await serverCopy(stack.fake, search!.event_id)).row.limited_data_use).toBe(true);
      for (const page of shopper.visited) expect((await serverCopy(stack.fake, page.config!.page_event_id)).row.limited_data_use).toBe(true);
    } finally {
      await shopper.close();
    }
  });

  it('treat as refused: nothing reaches TikTok, from the browser or from the server', async () => {
    const shopper = await withPolicy('refuse', 'refused');
    try {
      expect(shopper.tiktokRequests).toEqual([]);
      expect(await shopper.ttq()).toEqual([]);
      // the page carries no config: the bundle stays inert, the head code relays nothing
      expect(shopper.visited.map((p) => p.config)).toEqual([undefined, undefined]);
      expect(shopper.relayRequests).toEqual([]);
      expect(await nothingArrives(stack.fake, (d) => JSON.stringify(d.row).includes('refused'), 3000)).toEqual([]);
      // and a page that relays anyway (an older cached page, a forged request) is refused by the sidecar on the header
      const forged = await shopper.page.evaluate(
        async ([relayUrl, pixel]) => {
          const event = { pixel_id: pixel, event: 'Search', event_id: 'forged-1', consent: 'granted', properties: { query: 'forged' } };
          const res = await fetch(relayUrl, { method: 'POST', body: JSON.stringify(event) });
          return { status: res.status, body: await res.json() };
        },
        [stack.relayUrl, PIXEL],
      );
      expect(forged).toEqual({ status: 202, body: { accepted: 0, duplicates: 0, skipped: 1 } });
      expect(await nothingArrives(stack.fake, (d) => d.row.event_id === 'forged-1', 1000)).toEqual([]);
    } finally {
      await shopper.close();
    }
  });
});
