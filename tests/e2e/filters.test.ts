/**
 * What must not become a TikTok event: a crawler's visit, a speculative
 * prefetch, and the merchant editing the website (no pixel at all there).
 * A normal visit in the same run proves the chain works, so the silences are
 * meaningful.
 */
import { describeE2E } from './support/env';
import { login } from './support/flows';
import { nothingArrives, serverCopy } from './support/pairing';
import { newShopper, settle, type Shopper } from './support/shopper';
import { DESKTOP_UA, PIXEL, startStack, type Stack } from './support/stack';

jest.setTimeout(300_000);

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

describeE2E('bots, prefetches and the website editor on real Odoo 19', () => {
  let stack: Stack;
  const shoppers: Shopper[] = [];
  const open = async (options: Parameters<typeof newShopper>[1] = {}) => {
    const shopper = await newShopper(stack, options);
    shoppers.push(shopper);
    return shopper;
  };

  beforeAll(async () => {
    stack = await startStack({ suite: 'filters' });
  });

  afterAll(async () => {
    for (const s of shoppers) await s.close();
    await stack?.stop();
  });

  it('a normal visitor is tracked (control)', async () => {
    const shopper = await open();
    const page = await shopper.visit('/shop?search=desk');
    expect((await serverCopy(stack.fake, page.config!.page_event_id)).row.event).toBe('Pageview');
  });

  it('a crawler user agent produces no server event', async () => {
    const bot = await open({ userAgent: GOOGLEBOT });
    const page = await bot.visit('/shop?search=desk');
    await bot.page.waitForTimeout(500);
    const ids = [page.config!.page_event_id, ...(await bot.tracks()).map((t) => t.eventId)];
    expect(await nothingArrives(stack.fake, (d) => ids.includes(d.row.event_id))).toEqual([]);
  });

  it('a prefetch produces no server event', async () => {
    const prefetcher = await open({ extraHeaders: { 'Sec-Purpose': 'prefetch' } });
    const page = await prefetcher.visit('/shop?search=desk');
    await prefetcher.page.waitForTimeout(500);
    const ids = [page.config!.page_event_id, ...(await prefetcher.tracks()).map((t) => t.eventId)];
    expect(await nothingArrives(stack.fake, (d) => ids.includes(d.row.event_id))).toEqual([]);
    // and the relay says why to a prefetch that reaches it directly
    const res = await fetch(stack.relayUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: stack.baseUrl, 'User-Agent': DESKTOP_UA, 'Sec-Purpose': 'prefetch' },
      body: JSON.stringify({ pixel_id: PIXEL, event: 'Search', event_id: 'prefetch-1', consent: 'not_required', properties: { query: 'x' } }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('prefetch');
  });

  it('the website editor shows no pixel', async () => {
    const admin = await open();
    await login(admin, 'admin', 'admin');
    // the login page itself is a public website page with the pixel: count from here
    const before = admin.tiktokRequests.length;
    const editing = await admin.visit('/shop?enable_editor=1');
    expect(editing.config).toBeUndefined();
    expect(editing.html).not.toContain('tiktok-pixel-base');
    // the editor's preview: the website inside the backend's iframe
    await admin.page.goto('/odoo/action-website.website_preview?path=%2Fshop');
    const frame = admin.page.frameLocator('.o_iframe_container iframe:not(.o_ignore_in_tour)');
    await frame.locator('#wrapwrap').waitFor({ state: 'attached', timeout: 60_000 });
    await settle(admin.page);
    expect(await frame.locator('#tiktok-events-config').count()).toBe(0);
    expect(await frame.locator('#tiktok-pixel-base').count()).toBe(0);
    expect(admin.tiktokRequests.slice(before)).toEqual([]);
  });
});
