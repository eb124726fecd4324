/**
 * What server-side tracking saved, end to end on real Odoo 19 in Chromium:
 * a shopper whose browser blocks TikTok's events.js (as an extension or a
 * network filter does) still gets every event to TikTok through the sidecar,
 * and the control room counts those as "server only: pixel blocked"; a
 * shopper whose pixel loads is counted as "browser and server".
 */
import type { Page } from 'playwright-core';
import { actionUrl, DASHBOARD_ACTION, openBackOffice, readUntil, type BackOffice } from './support/backOffice';
import { describeE2E } from './support/env';
import { serverCopy } from './support/pairing';
import { newShopper, relayedEvents, type Shopper } from './support/shopper';
import { REPORT_INTERVAL_SECONDS, startStack, type Stack } from './support/stack';

jest.setTimeout(300_000);

/** Long enough for a report or two on a busy machine. */
const REPORT_WAIT_MS = 20 * REPORT_INTERVAL_SECONDS * 1000;

interface SavedRow {
  blocked: number;
  both: number;
  notSaid: number;
  estimate: string;
}

/** The "What server-side tracking saved" card: its headline count and its rows by event. */
async function readSaved(page: Page): Promise<{ headline: number; rows: Record<string, SavedRow> }> {
  await page.goto(actionUrl(DASHBOARD_ACTION));
  await page.locator('.o_tiktok_server_saved').waitFor({ state: 'visible', timeout: 60_000 });
  return page.evaluate(() => {
    const text = (el: Element | null | undefined) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const rows: Record<string, { blocked: number; both: number; notSaid: number; estimate: string }> = {};
    for (const row of document.querySelectorAll('.o_tiktok_server_saved tbody tr[data-event]')) {
      rows[row.getAttribute('data-event') as string] = {
        blocked: Number(text(row.querySelector('.o_tiktok_blocked'))),
        both: Number(text(row.querySelector('.o_tiktok_both'))),
        notSaid: Number(text(row.querySelector('.o_tiktok_not_said'))),
        estimate: text(row.querySelector('.o_tiktok_match_estimate')),
      };
    }
    return { headline: Number(text(document.querySelector('.o_tiktok_saved_headline .fw-bold'))), rows };
  });
}

/** A search, whose event the bundle makes once events.js answered (or failed). */
async function searchWalk(shopper: Shopper, query: string): Promise<Record<string, any>> {
  await shopper.visit(`/shop?search=${query}`);
  await shopper.visit('/contactus');
  const search = relayedEvents(shopper.relayRequests).find((e) => e.event === 'Search' && e.properties?.query === query);
  expect(search).toBeDefined();
  return search!;
}

describeE2E('what server-side tracking saved, on real Odoo 19', () => {
  let stack: Stack;
  let office: BackOffice;

  beforeAll(async () => {
    stack = await startStack({ suite: 'saved' });
    office = await openBackOffice(stack);
  });

  afterAll(async () => {
    await office?.close();
    await stack?.stop();
  });

  it('a walk with the pixel script blocked: every event reaches TikTok from the server, counted as server only / pixel blocked', async () => {
    const shopper = await newShopper(stack);
    // registered after the stand-in's route, so it runs first: the browser never gets events.js
    await shopper.context.route(/\/i18n\/pixel\/events\.js/, (route) => route.abort('blockedbyclient'));
    try {
      const search = await searchWalk(shopper, 'desk');
      expect(search.pixel).toBe('blocked');
      expect(await shopper.ttq()).toEqual([]); // no pixel: nothing reached TikTok from the browser
      expect((await serverCopy(stack.fake, search.event_id)).row.properties.query).toBe('desk');
      // the relayed flag is a count only: TikTok's row does not carry it
      expect(JSON.stringify((await serverCopy(stack.fake, search.event_id)).row)).not.toContain('blocked');
    } finally {
      await shopper.close();
    }
    const saved = await readUntil(() => readSaved(office.page), (s) => (s.rows.Search?.blocked ?? 0) >= 1, REPORT_WAIT_MS);
    expect(saved.rows.Search).toMatchObject({ blocked: 1, both: 0 });
    expect(saved.headline).toBeGreaterThanOrEqual(1);
    // each page's first PageView leaves before events.js answers: it says nothing, and is counted so
    expect(saved.rows.PageView?.notSaid).toBeGreaterThanOrEqual(2);
  });

  it('a normal walk counts browser and server', async () => {
    const shopper = await newShopper(stack);
    try {
      const search = await searchWalk(shopper, 'chair');
      expect(search.pixel).toBe('loaded');
      const tracked = (await shopper.tracks()).find((t) => t.name === 'Search' && t.properties.query === 'chair');
      expect(tracked?.eventId).toBe(search.event_id);
      await serverCopy(stack.fake, search.event_id);
    } finally {
      await shopper.close();
    }
    const saved = await readUntil(() => readSaved(office.page), (s) => (s.rows.Search?.both ?? 0) >= 1, REPORT_WAIT_MS);
    expect(saved.rows.Search).toMatchObject({ blocked: 1, both: 1 });
    // our estimate is shown for what was delivered (ip and user agent at least)
    expect(Number(saved.rows.Search.estimate)).toBeGreaterThan(0);
  });
});
