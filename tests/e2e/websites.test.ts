/**
 * Two websites of one Odoo, each with its own pixel: website 1 inherits the
 * global settings, website 2 overrides pixel, token, test event code and
 * debug. Each page loads its own pixel, each server event goes to its own
 * pixel with its own token and test event code, and a blank per-website field
 * falls back to the global value. Also takes the README screenshots.
 */
import { statSync } from 'node:fs';
import { productDebugScreenshot, settingsScreenshot } from '../../scripts/e2e/screenshots';
import { describeE2E } from './support/env';
import { serverCopy } from './support/pairing';
import { prepareShopData, type ShopData } from './support/shopData';
import { newShopper, type Shopper } from './support/shopper';
import { routeTikTok } from './support/ttqRecorder';
import { ACCESS_TOKEN, ACCESS_TOKEN_2, DESKTOP_UA, PIXEL, PIXEL_2, startStack, waitForSidecarSettings, type Stack } from './support/stack';

jest.setTimeout(300_000);

const GLOBAL_CODE = 'TESTE2EGLOBAL';
const SITE2_CODE = 'TESTE2ESITE2';

describeE2E('two websites with their own pixels on real Odoo 19', () => {
  let stack: Stack;
  let data: ShopData;
  const shoppers: Shopper[] = [];

  beforeAll(async () => {
    stack = await startStack({ suite: 'sites', testEventCode: GLOBAL_CODE });
    data = await prepareShopData(stack.admin);
    await stack.admin.call('website', 'write', [
      [2],
      { tiktok_pixel_id: PIXEL_2, tiktok_access_token: ACCESS_TOKEN_2, tiktok_test_event_code: SITE2_CODE, tiktok_debug: 'on' },
    ]);
    await stack.restartSidecar();
    await waitForSidecarSettings(stack.sidecarUrl, 2);
  });

  afterAll(async () => {
    for (const s of shoppers) await s.close();
    await stack?.stop();
  });

  async function visitSearch(origin: string, term: string) {
    const shopper = await newShopper(stack, { origin });
    shoppers.push(shopper);
    const page = await shopper.visit(`/shop?search=${term}`);
    await shopper.page.waitForTimeout(800);
    const [search] = (await shopper.tracks()).filter((t) => t.name === 'Search');
    return { shopper, page, search };
  }

  it('website 1 inherits the global pixel, token and test event code', async () => {
    const { shopper, page, search } = await visitSearch(stack.baseUrl, 'desk');
    expect(page.config).toMatchObject({ pixel_id: PIXEL, website_id: 1, debug: false });
    expect(shopper.tiktokRequests.every((u) => u.includes(`sdkid=${PIXEL}`))).toBe(true);
    expect(search.pixel).toBe(PIXEL);
    const server = await serverCopy(stack.fake, search.eventId);
    expect({ pixel: server.pixelId, code: server.testEventCode }).toEqual({ pixel: PIXEL, code: GLOBAL_CODE });
    expect((await serverCopy(stack.fake, page.config!.page_event_id)).testEventCode).toBe(GLOBAL_CODE);
  });

  it('website 2 uses its own pixel, token (the fake checks it), test event code and debug flag', async () => {
    const origin = `http://localhost:${stack.port}`;
    const { shopper, page, search } = await visitSearch(origin, 'chair');
    expect(page.config).toMatchObject({ pixel_id: PIXEL_2, website_id: 2, debug: true });
    expect(page.panel).toContain('Search');
    expect(shopper.tiktokRequests.length).toBeGreaterThan(0);
    expect(shopper.tiktokRequests.every((u) => u.includes(`sdkid=${PIXEL_2}`))).toBe(true);
    expect(search.pixel).toBe(PIXEL_2);
    const server = await serverCopy(stack.fake, search.eventId);
    expect({ pixel: server.pixelId, code: server.testEventCode, query: server.row.properties.query }).toEqual({ pixel: PIXEL_2, code: SITE2_CODE, query: 'chair' });
    for (const p of shopper.visited) {
      expect(p.html).not.toContain(ACCESS_TOKEN);
      expect(p.html).not.toContain(ACCESS_TOKEN_2);
    }
  });

  it('a relay for pixel 2 from website 1 origin is refused', async () => {
    const res = await fetch(stack.relayUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: stack.baseUrl, 'User-Agent': DESKTOP_UA },
      body: JSON.stringify({ pixel_id: PIXEL_2, event: 'Search', event_id: 'cross-site-1', consent: 'not_required', properties: { query: 'x' } }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('origin_not_allowed');
  });

  it('a blank per-website test event code falls back to the global one', async () => {
    await stack.admin.call('website', 'write', [[2], { tiktok_test_event_code: false }]);
    // settings are re-read every SETTINGS_REFRESH_SECONDS (5 s)
    await new Promise((r) => setTimeout(r, 6500));
    const { search } = await visitSearch(`http://localhost:${stack.port}`, 'lamp');
    const server = await serverCopy(stack.fake, search.eventId);
    expect({ pixel: server.pixelId, code: server.testEventCode }).toEqual({ pixel: PIXEL_2, code: GLOBAL_CODE });
  });

  it('saves the README screenshots (settings page, product page with the debug panel)', async () => {
    const settings = await settingsScreenshot({ browser: stack.browser, origin: stack.baseUrl, userAgent: DESKTOP_UA });
    const product = await productDebugScreenshot(
      { browser: stack.browser, origin: `http://localhost:${stack.port}`, userAgent: DESKTOP_UA },
      data.productUrl,
      async (context) => {
        await routeTikTok(context);
      },
    );
    for (const file of [settings, product]) {
      const size = statSync(file).size;
      expect(size).toBeGreaterThan(5_000);
      expect(size).toBeLessThan(400_000);
    }
  });
});
