/**
 * Odoo's cookie bar drives TikTok end to end: while a visitor has not accepted
 * optional cookies, no request reaches analytics.tiktok.com and the sidecar
 * sends nothing; once they accept (on a later page), the events that waited
 * are released to the pixel and to the Events API.
 */
import { describeE2E } from './support/env';
import { nothingArrives, serverCopy } from './support/pairing';
import { newShopper, relayedEvents, type Shopper } from './support/shopper';
import { startStack, type Stack } from './support/stack';

jest.setTimeout(300_000);

async function answerCookieBar(shopper: Shopper, choice: 'essential' | 'all'): Promise<void> {
  const button = shopper.page.locator(`#cookies-consent-${choice}`);
  await button.waitFor({ state: 'visible', timeout: 15_000 });
  await button.click();
  await shopper.page.waitForTimeout(1500);
}

describeE2E('consent with the Odoo cookie bar on real Odoo 19', () => {
  let stack: Stack;
  let shopper: Shopper;

  beforeAll(async () => {
    stack = await startStack({ suite: 'consent' });
    await stack.admin.call('website', 'write', [[1], { cookies_bar: true, block_third_party_domains: true }]);
    // The sidecar reads consent_required with the settings at start.
    await stack.restartSidecar();
    shopper = await newShopper(stack);
  });

  afterAll(async () => {
    await shopper?.close();
    await stack?.stop();
  });

  it('a visitor who denies: no request to TikTok, no server event', async () => {
    const first = await shopper.visit('/shop?search=desk');
    expect(first.config?.consent_required).toBe(true);
    await answerCookieBar(shopper, 'essential');
    const second = await shopper.visit('/contactus');
    const waiting = [first, second].map((p) => p.config!.page_event_id);

    expect(shopper.tiktokRequests).toEqual([]);
    // anything the bundle relayed is marked denied, and the sidecar keeps none of it
    for (const event of relayedEvents(shopper.relayRequests)) expect(event.consent).toBe('denied');
    expect(await nothingArrives(stack.fake, () => true, 3000)).toEqual([]);
    expect(waiting).toHaveLength(2);
  });

  it('accepting later releases the waiting events to the pixel and to the Events API', async () => {
    const earlier = shopper.visited.map((p) => p.config!.page_event_id);
    // The visitor reopens the choice (the bar is shown again without its cookie) and accepts.
    await shopper.context.clearCookies({ name: 'website_cookies_bar' });
    const third = await shopper.visit('/shop?search=chair');
    await answerCookieBar(shopper, 'all');
    await shopper.page.waitForTimeout(1000);

    expect(shopper.tiktokRequests.some((u) => u.includes('/i18n/pixel/events.js'))).toBe(true);
    const calls = await shopper.ttq();
    const methods = calls.map((c) => c.method);
    expect(methods).toContain('holdConsent');
    expect(methods).toContain('grantConsent');
    expect(methods.indexOf('holdConsent')).toBeLessThan(methods.indexOf('grantConsent'));
    expect(calls.some((c) => c.method === 'track' && c.args[0] === 'Search' && (c.args[1] as { query?: string }).query === 'chair')).toBe(true);

    // the Pageviews that waited on earlier pages, and this page's events, reach TikTok
    for (const id of [...earlier, third.config!.page_event_id]) {
      const server = await serverCopy(stack.fake, id, 15_000);
      expect(server.row.event).toBe('Pageview');
    }
    const search = calls.find((c) => c.method === 'track' && c.args[0] === 'Search')!;
    const searchId = (search.args[2] as { event_id: string }).event_id;
    expect((await serverCopy(stack.fake, searchId)).row.properties.query).toBe('chair');
    // the first page's search ("desk") waited too and is released with the same id it was queued with
    const queuedSearch = relayedEvents(shopper.relayRequests).find((e) => e.event === 'Search' && e.properties?.query === 'desk' && e.consent === 'granted');
    expect(queuedSearch).toBeDefined();
    expect((await serverCopy(stack.fake, queuedSearch!.event_id)).row.event).toBe('Search');
  });
});
