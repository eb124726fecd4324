/**
 * The merchant's control room on real Odoo 19, with an administrator in the
 * back office in Chromium, on one stack, in an order where no scenario spoils
 * the next:
 * - after a shopper's walk to a paid order, the TikTok dashboard shows each
 *   event delivered as many times as the fake Events API accepted it, the
 *   Purchase paired (sent by the server, fired on the confirmation page), and
 *   the sidecar connected;
 * - "Send a test event" in the settings shows TikTok's answer, and exactly
 *   one request carried the test event code;
 * - an event TikTok refused becomes a dead letter in Odoo's list; "Send
 *   again" gets the same event id delivered, and the letter leaves the list;
 * - TikTok refusing the token shows the paused lane in plain words;
 * - a stopped sidecar turns "Down" within two report intervals plus the grace;
 * - "Connect the sidecar" shows a key and environment lines with which a
 *   fresh sidecar connects, and nothing else.
 * Also takes the README pictures of the dashboard, the settings and the
 * "Connect the sidecar" dialog (its key masked).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectWizardScreenshot, dashboardScreenshot, settingsScreenshot } from '../../scripts/e2e/screenshots';
import { loadConfig, psql } from '../../scripts/odooDev';
import { freePort } from '../helpers/process';
import type { FakeEventsApi } from '../support/fakeEventsApi';
import {
  actionUrl,
  clickMenu,
  connectSidecarFromSettings,
  DEAD_LETTER_ACTION,
  deadLetterIdsShown,
  openBackOffice,
  openDashboard,
  openSettings,
  parseEnvLines,
  readDashboard,
  readUntil,
  reloadDashboard,
  saveSetting,
  sendAgainFromList,
  userTimezone,
  type BackOffice,
  type DashboardShown,
} from './support/backOffice';
import { describeE2E } from './support/env';
import { queuedPurchase, serverCopy } from './support/pairing';
import { prepareShopData, type ShopData } from './support/shopData';
import { newShopper, type Shopper } from './support/shopper';
import { startSidecarProcess, type SidecarProcess } from './support/sidecarProcess';
import { DESKTOP_UA, PIXEL, REPORT_INTERVAL_SECONDS, startStack, type Stack } from './support/stack';
import { pairNamed, walkToPurchase, type PurchaseWalkResult } from './support/walk';

jest.setTimeout(300_000);

/** The stack's sidecar, by name (docs/CONTRACTS.md §7 `replica`). */
const REPLICA = 'shop-sidecar-1';
const TEST_EVENT_CODE = 'TESTE2ECONTROL';
/** A search the fake Events API refuses (as TikTok refuses a bad value) until the merchant "fixed" it. */
const REFUSED_QUERY = 'refused-by-tiktok';
/** What Odoo documents (README "Control room", docs/CONTRACTS.md §7): down after two missed reports, 10 s of grace. */
const DOWN_AFTER_MISSED = 2;
const GRACE_SECONDS = 10;
/** How long past the threshold the test waits for a busy machine's page to say so. */
const DOWN_WAIT_MS = 120_000;
/** The sidecar re-reads the website settings this often (SETTINGS_REFRESH_SECONDS of the stack). */
const SETTINGS_REFRESH_MS = 5000;

/** Names TikTok receives → the canonical keys Odoo shows (docs/CONTRACTS.md §1). */
const CANONICAL_NAMES: Record<string, string> = { Pageview: 'PageView', CompletePayment: 'Purchase', Lead: 'SubmitForm' };
const canonical = (name: string): string => CANONICAL_NAMES[name] ?? name;

/** What the fake accepted outside test events, per canonical event name. */
function fakeDeliveredCounts(fake: FakeEventsApi): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of fake.delivered) {
    if (d.testEventCode) continue;
    const name = canonical(String(d.row.event));
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

function shownDeliveredCounts(shown: DashboardShown): Record<string, number> {
  return Object.fromEntries(Object.entries(shown.events).map(([event, counts]) => [event, counts.delivered]));
}

const sameCounts = (a: Record<string, number>, b: Record<string, number>): boolean => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

describeE2E('the control room in Odoo 19 (dashboard, dead letters, test event, connection)', () => {
  let stack: Stack;
  let data: ShopData;
  let shopper: Shopper;
  let office: BackOffice;
  let walk: PurchaseWalkResult;
  let refusing = true;
  /** Event ids the fake refused because of REFUSED_QUERY. */
  const refusedIds: string[] = [];
  let testCodeClearedAt = 0;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    stack = await startStack({
      suite: 'ctrl',
      replicaId: REPLICA,
      fake: {
        rejectEvent: (row) => {
          if (!refusing || row.event !== 'Search' || row.properties?.query !== REFUSED_QUERY) return undefined;
          refusedIds.push(row.event_id);
          return `properties.query "${REFUSED_QUERY}" is not allowed`;
        },
      },
    });
    data = await prepareShopData(stack.admin);
    // The back office compiles its assets on its first page: meanwhile, the shopper walks.
    [office, walk] = await Promise.all([
      openBackOffice(stack).then(async (opened) => {
        await opened.page.goto(actionUrl(DEAD_LETTER_ACTION));
        await deadLetterIdsShown(opened.page);
        return opened;
      }),
      (async () => {
        shopper = await newShopper(stack);
        return walkToPurchase(stack, shopper, data, { name: 'Ann Buyer', email: 'ann.buyer@example.com', phone: '+32 470 12 34 56' });
      })(),
    ]);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await shopper?.close();
    await office?.close();
    await stack?.stop();
  });

  it('shows each event of the walk delivered as often as TikTok accepted it, the Purchase paired and the sidecar connected', async () => {
    expect(walk.unpaired).toEqual([]);
    const { page } = office;
    // Website → Reporting → TikTok
    await clickMenu(page, 'Reporting', 'TikTok');
    await readDashboard(page);
    // Reports come every interval: the page catches up with what the fake accepted.
    const { shown, expected } = await readUntil(
      async () => ({ shown: await reloadDashboard(page), expected: fakeDeliveredCounts(stack.fake) }),
      (r) => sameCounts(shownDeliveredCounts(r.shown), r.expected),
      30_000,
    );
    expect(shownDeliveredCounts(shown)).toEqual(expected);
    const walked = [...new Set(['PageView', ...walk.tracks.map((t) => canonical(t.name))])];
    expect(walked).toEqual(expect.arrayContaining(['PageView', 'Search', 'AddToWishlist', 'ViewContent', 'AddToCart', 'InitiateCheckout', 'AddPaymentInfo', 'PlaceAnOrder', 'Purchase']));
    expect(walked.filter((event) => !(shown.events[event]?.delivered > 0))).toEqual([]);
    for (const [event, counts] of Object.entries(shown.events)) expect({ event, retried: counts.retried, dead: counts.dead }).toEqual({ event, retried: 0, dead: 0 });

    // The Purchase: the browser's copy and the server's share the event id; the order counts as sent.
    const purchase = pairNamed(walk, 'Purchase');
    expect(purchase.browser.eventId).toBe((await queuedPurchase(stack, walk.orderId)).event_id);
    expect(shown.events.Purchase.delivered).toBe(1);
    expect(shown.purchases.paired).toBe(1); // sent by the server, fired on the confirmation page

    expect(shown.sidecar).toBe('Connected');
    expect(shown.replicas).toEqual([{ replica: REPLICA, status: 'connected' }]);
    expect(shown.lanes).toEqual([]);
  });

  it('"Send a test event" in the settings shows TikTok\'s code and message; one request carried the code', async () => {
    const { page } = office;
    await openSettings(page);
    await saveSetting(page, 'website_tiktok_test_event_code', TEST_EVENT_CODE);
    await page.locator('#tiktok_control_room_setting').getByRole('button', { name: 'Send a test event' }).click();
    const dialog = page.locator('.modal-dialog', { has: page.locator('.o_tiktok_test_event') });
    await dialog.locator('.o_tiktok_test_event_answer').waitFor({ state: 'visible', timeout: 60_000 });
    const shown = {
      state: (await dialog.locator('.o_tiktok_test_event_state').innerText()).trim(),
      code: (await dialog.locator('.o_tiktok_code').innerText()).trim(),
      message: (await dialog.locator('.o_tiktok_message').innerText()).trim(),
    };
    const withCode = stack.fake.requests.filter((r) => r.testEventCode === TEST_EVENT_CODE);
    expect(withCode).toHaveLength(1);
    const [received] = stack.fake.delivered.filter((d) => d.testEventCode === TEST_EVENT_CODE);
    expect({ pixel: received.pixelId, event: received.row.event }).toEqual({ pixel: PIXEL, event: 'Pageview' });
    // TikTok's answer (the fake's), and the event it accepted.
    expect(shown.code).toBe(String(withCode[0].code));
    expect(shown.code).toBe('0');
    expect(shown.message).toContain(received.row.event_id);
    expect(shown.state).toMatch(/^TikTok accepted the test event/);
    // Later reports do not send it again.
    await page.waitForTimeout(3 * REPORT_INTERVAL_SECONDS * 1000);
    expect(stack.fake.requests.filter((r) => r.testEventCode === TEST_EVENT_CODE)).toHaveLength(1);

    await page.keyboard.press('Escape');
    // The settings with the test event code set: "Send a test event" shows in the picture.
    const settings = await settingsScreenshot({ browser: stack.browser, origin: stack.baseUrl, userAgent: DESKTOP_UA, timezoneId: await userTimezone(stack) });
    expect(statSync(settings).size).toBeGreaterThan(5_000);
    expect(statSync(settings).size).toBeLessThan(400_000);
    // Done testing: live events again (the sidecar reads it within SETTINGS_REFRESH_SECONDS).
    await stack.admin.call('website', 'write', [[1], { tiktok_test_event_code: false }]);
    testCodeClearedAt = Date.now();

    const dashboard = await openDashboard(page);
    expect(dashboard.testEvents[0]).toEqual([expect.any(String), 'TikTok answered', '0', shown.message]);
    const picture = await dashboardScreenshot(page);
    expect(statSync(picture).size).toBeGreaterThan(5_000);
    expect(statSync(picture).size).toBeLessThan(600_000);
  });

  it('"Send again" on a dead letter gets the same event id delivered, and the letter leaves the list', async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, testCodeClearedAt + SETTINGS_REFRESH_MS + 1000 - Date.now())));
    await shopper.visit(`/shop?search=${REFUSED_QUERY}`);
    const search = (await shopper.tracks()).find((t) => t.name === 'Search' && t.properties.query === REFUSED_QUERY);
    if (!search) throw new Error(`no browser Search for "${REFUSED_QUERY}"`);

    const { page } = office;
    // Website → Reporting → TikTok dead letters
    await clickMenu(page, 'Reporting', 'TikTok dead letters');
    await page.waitForURL(/\/odoo\/tiktok-dead-letters/);
    await deadLetterIdsShown(page);
    const listed = await readUntil(
      async () => {
        await page.reload();
        return deadLetterIdsShown(page);
      },
      (ids) => ids.includes(search.eventId),
      30_000,
    );
    expect(listed).toContain(search.eventId);
    // TikTok got it and refused it; nothing of it was accepted.
    expect(refusedIds).toContain(search.eventId);
    expect(stack.fake.delivered.filter((d) => d.row.event_id === search.eventId)).toEqual([]);

    // The merchant fixed what TikTok refused; the same event goes again.
    refusing = false;
    await sendAgainFromList(page, search.eventId);
    const delivered = await serverCopy(stack.fake, search.eventId, 20_000);
    expect({ event: delivered.row.event, query: delivered.row.properties.query, pixel: delivered.pixelId }).toEqual({ event: 'Search', query: REFUSED_QUERY, pixel: PIXEL });
    const after = await readUntil(
      async () => {
        await page.reload();
        return deadLetterIdsShown(page);
      },
      (ids) => !ids.includes(search.eventId),
      15_000,
    );
    expect(after).not.toContain(search.eventId);
    expect(stack.fake.delivered.filter((d) => d.row.event_id === search.eventId)).toHaveLength(1);
  });

  it('says in plain words that TikTok refused the token of the pixel', async () => {
    stack.fake.setStickyFault('bad_token');
    try {
      await shopper.visit('/shop?search=chair');
      const { page } = office;
      await openDashboard(page);
      const shown = await readUntil(() => reloadDashboard(page), (s) => s.lanes.length > 0, 30_000);
      expect(shown.lanes).toHaveLength(1);
      expect(shown.lanes[0].reason).toBe('token_refused');
      expect(shown.lanes[0].text).toMatch(
        new RegExp(`^TikTok refused the access token of pixel ${PIXEL} since \\d{1,2}:\\d{2} \\(code 40105: Access token is incorrect or has been revoked\\)\\. Paste a new token`),
      );
    } finally {
      stack.fake.setStickyFault();
    }
  });

  it(`turns the sidecar "Down" within ${DOWN_AFTER_MISSED} report intervals plus the grace once it stops`, async () => {
    const { page } = office;
    const before = await openDashboard(page);
    expect(before.sidecar).toBe('Connected');
    // The page says the threshold it applies, in seconds of this stack's report interval:
    // the test holds the page to what it promises.
    const rule = /down after (\d+) seconds/.exec(await page.locator('.o_tiktok_thresholds').innerText());
    expect(rule).not.toBeNull();
    const downAfterSeconds = Number(rule![1]);
    expect(downAfterSeconds).toBe(DOWN_AFTER_MISSED * REPORT_INTERVAL_SECONDS + GRACE_SECONDS);
    await stack.stopSidecar();
    // Measured from the last report as Odoo recorded it (the stop sends one), not from
    // when this test happened to look: the page must say "Down" once that report is
    // older than the threshold, and not before.
    const lastSeen = Date.parse(
      `${psql(loadConfig(), stack.db, `SELECT to_char(last_seen, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM tiktok_sidecar_report WHERE replica = '${REPLICA}'`)}`,
    );
    expect(lastSeen).not.toBeNaN();
    const downAt = lastSeen + downAfterSeconds * 1000;
    const seen: string[] = [];
    const readings: Array<{ status: string; startedAt: number; doneAt: number }> = [];
    const shown = await readUntil(
      async () => {
        const startedAt = Date.now();
        const dashboard = await reloadDashboard(page);
        if (seen[seen.length - 1] !== dashboard.sidecar) seen.push(dashboard.sidecar);
        readings.push({ status: dashboard.sidecar, startedAt, doneAt: Date.now() });
        return { dashboard };
      },
      (r) => r.dashboard.sidecar === 'Down',
      downAt - Date.now() + DOWN_WAIT_MS,
    );
    expect(shown.dashboard.sidecar).toBe('Down');
    // Odoo's last_seen has whole seconds: one second of tolerance on each side.
    const early = readings.filter((r) => r.status === 'Down' && r.doneAt < downAt - 1000);
    const late = readings.filter((r) => r.status !== 'Down' && r.startedAt > downAt + 1000);
    expect({ early, late }).toEqual({ early: [], late: [] });
    expect(shown.dashboard.replicas).toEqual([{ replica: REPLICA, status: 'down' }]);
    // Connected right after the stop (its last report), then lagging, then down.
    expect(seen[0]).toBe('Connected');
    // A replica that is down no longer speaks for its lanes.
    expect(shown.dashboard.lanes).toEqual([]);
  });

  it('"Connect the sidecar" shows the lines with which a fresh sidecar connects, and nothing else is needed', async () => {
    const { page } = office;
    await openSettings(page);
    const shown = await connectSidecarFromSettings(page);
    const env = parseEnvLines(shown.envText);
    expect(Object.keys(env).sort()).toEqual(['ODOO_API_KEY', 'ODOO_DB', 'ODOO_LOGIN', 'ODOO_URL']);
    expect({ url: env.ODOO_URL, db: env.ODOO_DB }).toEqual({ url: stack.baseUrl, db: stack.db });

    // Its own port, outbox and the fake's address: the rest are the lines shown.
    const outboxDir = mkdtempSync(path.join(os.tmpdir(), 'tt-e2e-fresh-'));
    cleanups.push(() => rmSync(outboxDir, { recursive: true, force: true }));
    const port = await freePort();
    const fresh: SidecarProcess = startSidecarProcess({
      ...env,
      RELAY_PORT: String(port),
      OUTBOX_PATH: path.join(outboxDir, 'outbox.sqlite'),
      TIKTOK_API_BASE_URL: stack.fake.baseUrl,
    });
    cleanups.push(() => fresh.stop());
    const replica = os.hostname();

    const connected = shown.dialog.locator('.o_tiktok_connected');
    await connected.waitFor({ state: 'visible', timeout: 90_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\nfresh sidecar output:\n${fresh.output.join('').slice(-4000)}`);
    });
    expect(await connected.innerText()).toContain(`Connected: ${replica} reported at`);
    const picture = await connectWizardScreenshot(shown.dialog, env.ODOO_API_KEY);
    expect(statSync(picture).size).toBeGreaterThan(5_000);

    // Its first report arrived, signed by the user the wizard made the key for.
    const [row] = await stack.admin.call<Array<{ report_count: number; reporter_id: [number, string] | false; mode: string }>>(
      'tiktok.sidecar.report', 'search_read', [[['replica', '=', replica]]], { fields: ['report_count', 'reporter_id', 'mode'] },
    );
    expect(row.report_count).toBeGreaterThanOrEqual(1);
    expect(row.mode).toBe('odoo');
    const [reporter] = await stack.admin.call<Array<{ login: string }>>('res.users', 'read', [[(row.reporter_id as [number, string])[0]]], { fields: ['login'] });
    expect(reporter.login).toBe(env.ODOO_LOGIN);

    await page.keyboard.press('Escape');
    const dashboard = await openDashboard(page);
    expect(dashboard.sidecar).toBe('Connected');
    expect(dashboard.replicas).toEqual(expect.arrayContaining([{ replica, status: 'connected' }, { replica: REPLICA, status: 'down' }]));
    expect(fresh.child.exitCode).toBeNull();
  });
});
