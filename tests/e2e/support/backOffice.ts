/**
 * The administrator in Odoo's back office, in Chromium: the TikTok control
 * room (Website → Reporting → TikTok), the dead-letter list and the settings,
 * read and clicked the way a merchant would. Readers return what the page
 * shows (text and counts), never what the models hold.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { LAZY_ASSETS_TIMEOUT_MS, settle } from './shopper';
import { DESKTOP_UA, type Stack } from './stack';

/** The dashboard's client action (ir.actions.client, path "tiktok"). */
export const DASHBOARD_ACTION = 'website_tiktok_events.action_tiktok_dashboard';
export const DEAD_LETTER_ACTION = 'website_tiktok_events.action_tiktok_dead_letter';
export const SETTINGS_ACTION = 'website.action_website_configuration';

export interface BackOffice {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * The time zone of the user's preferences. The browser gets it too: Odoo's
 * web client shows times in the browser's zone, the dashboard in the user's,
 * and a merchant's browser is usually in their own (Chromium's default is UTC).
 */
export async function userTimezone(stack: Stack, login = 'admin'): Promise<string | undefined> {
  const [user] = await stack.admin.call<Array<{ tz: string | false }>>('res.users', 'search_read', [[['login', '=', login]]], { fields: ['tz'] });
  return user?.tz || undefined;
}

/** The login page, ready to type in: a database's first page waits for its assets to be compiled. */
export async function openLoginPage(page: Page): Promise<void> {
  await page.goto('/web/login');
  await settle(page);
  await page.locator('input[name="login"]').waitFor({ state: 'visible', timeout: LAZY_ASSETS_TIMEOUT_MS });
}

export async function openBackOffice(stack: Stack, login = 'admin', password = 'admin'): Promise<BackOffice> {
  const context = await stack.browser.newContext({
    baseURL: stack.baseUrl,
    userAgent: DESKTOP_UA,
    timezoneId: await userTimezone(stack, login),
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await openLoginPage(page);
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', password);
  // Logged in once the browser leaves the login page; the back office's first
  // load compiles its assets, which on a busy machine outlasts a navigation timeout.
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/web/login', { waitUntil: 'commit', timeout: LAZY_ASSETS_TIMEOUT_MS }),
    page.click('form.oe_login_form button[type="submit"]'),
  ]);
  await page.waitForLoadState('load', { timeout: LAZY_ASSETS_TIMEOUT_MS });
  return { context, page, close: () => context.close() };
}

export function actionUrl(xmlId: string): string {
  return `/odoo/action-${xmlId}`;
}

/** Opens a menu of the current app's navbar ("Reporting") and clicks one of its entries ("TikTok"). */
export async function clickMenu(page: Page, menu: string, entry: string): Promise<void> {
  await page.locator('.o_main_navbar .o_menu_sections').getByRole('button', { name: menu, exact: true }).click();
  await page.locator('.o-dropdown--menu').getByRole('menuitem', { name: entry, exact: true }).click();
}

// ---------------------------------------------------------------------------
// The dashboard
// ---------------------------------------------------------------------------

export interface CountsShown {
  relayed: number;
  delivered: number;
  retried: number;
  dead: number;
}

export interface DashboardShown {
  /** The sidecar card's badge: Connected, Lagging, Down or Never connected. */
  sidecar: string;
  replicas: Array<{ replica: string; status: string }>;
  /** Per event row: the counts of the period column (7 days by default). */
  events: Record<string, CountsShown>;
  /** The "What needs you" sentences of paused lanes, with their reason. */
  lanes: Array<{ reason: string; text: string }>;
  /** Purchase coverage rows by key (sent, pending, not_queued, skipped:…): the count shown. */
  purchases: Record<string, number>;
  deadLetters: string;
  testEvents: string[][];
}

const dashboardContent = (page: Page): Locator => page.locator('.o_tiktok_dashboard_content .o_tiktok_sidecar');

export async function openDashboard(page: Page): Promise<DashboardShown> {
  await page.goto(actionUrl(DASHBOARD_ACTION));
  return readDashboard(page);
}

/** Reloads the page (the browser's reload: a fresh call for the data) and reads it. */
export async function reloadDashboard(page: Page): Promise<DashboardShown> {
  await page.reload();
  return readDashboard(page);
}

export async function readDashboard(page: Page): Promise<DashboardShown> {
  await dashboardContent(page).waitFor({ state: 'visible', timeout: 60_000 });
  return page.evaluate(() => {
    const root = document.querySelector('.o_tiktok_dashboard_content') as HTMLElement;
    const text = (el: Element | null | undefined) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const number = (el: Element | null | undefined) => Number(text(el));
    const events: Record<string, { relayed: number; delivered: number; retried: number; dead: number }> = {};
    for (const row of root.querySelectorAll('.o_tiktok_events tbody tr[data-event]')) {
      const cells = row.querySelectorAll('td');
      // Event, then today's four counts, then the period's four.
      events[row.getAttribute('data-event') as string] = {
        relayed: number(cells[5]),
        delivered: number(cells[6]),
        retried: number(cells[7]),
        dead: number(cells[8]),
      };
    }
    const purchases: Record<string, number> = {};
    for (const row of root.querySelectorAll('.o_tiktok_purchases tr[data-key]')) {
      purchases[row.getAttribute('data-key') as string] = number(row.querySelectorAll('td')[1]);
    }
    return {
      sidecar: text(root.querySelector('.o_tiktok_sidecar .card-header .badge')),
      replicas: [...root.querySelectorAll('.o_tiktok_replicas tbody tr')].map((row) => ({
        replica: text(row.querySelector('td')?.firstChild as Element | null),
        status: row.getAttribute('data-status') ?? '',
      })),
      events,
      lanes: [...root.querySelectorAll('.o_tiktok_lane')].map((li) => ({ reason: li.getAttribute('data-reason') ?? '', text: text(li) })),
      purchases,
      deadLetters: text(root.querySelector('.o_tiktok_dead_letters')),
      testEvents: [...root.querySelectorAll('.o_tiktok_test_events tbody tr')].map((row) => [...row.querySelectorAll('td')].map((td) => text(td))),
    };
  });
}

/**
 * Reads `read()` until `done` holds or the time is up, and returns the last
 * reading either way: the caller asserts on it, so a timeout fails with what
 * the page showed last.
 */
export async function readUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() + everyMs > deadline) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------
// Dead letters
// ---------------------------------------------------------------------------

/** The event ids the dead-letter list shows (its default filter: refused by TikTok). */
export async function deadLetterIdsShown(page: Page): Promise<string[]> {
  // The renderer mounts once the records are loaded.
  await page.locator('.o_list_view .o_list_renderer').waitFor({ state: 'visible' });
  return page.locator('.o_list_view tbody tr.o_data_row td[name="event_id"]').allInnerTexts();
}

/** Ticks the row of this event id and clicks "Send again" (and OK in Odoo's confirmation). */
export async function sendAgainFromList(page: Page, eventId: string): Promise<void> {
  const row = page.locator('.o_list_view tbody tr.o_data_row', { has: page.locator(`td[name="event_id"]:text-is("${eventId}")`) });
  await row.locator('.o_list_record_selector input').check();
  await page.getByRole('button', { name: 'Send again', exact: true }).click();
  const confirm = page.locator('.modal-dialog', { hasText: 'Send them again?' });
  await confirm.getByRole('button', { name: /^ok$/i }).click();
  await confirm.waitFor({ state: 'detached' });
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

export async function openSettings(page: Page): Promise<void> {
  await page.goto(actionUrl(SETTINGS_ACTION));
  await page.locator('#tiktok_control_room_setting').waitFor({ state: 'visible', timeout: 60_000 });
}

/** Types a value into a settings field (by field name) and saves the settings. */
export async function saveSetting(page: Page, field: string, value: string): Promise<void> {
  await page.locator(`div[name="${field}"] input`).fill(value);
  // "Save" runs res.config.settings.execute, then the page reloads: a fresh form shows the saved values.
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/web/dataset/call_button/res.config.settings/execute')),
    page.locator('.o_control_panel .o_form_button_save').click(),
  ]);
  await page.waitForResponse((r) => r.url().includes('/web/dataset/call_kw/res.config.settings/onchange'));
  await page.waitForFunction(
    ([name, expected]) => document.querySelector<HTMLInputElement>(`div[name="${name}"] input`)?.value === expected,
    [field, value] as const,
  );
  await page.locator('#tiktok_control_room_setting').waitFor({ state: 'visible' });
}

// ---------------------------------------------------------------------------
// "Connect the sidecar"
// ---------------------------------------------------------------------------

export interface SidecarKeyShown {
  /** The dialog that shows the key once. */
  dialog: Locator;
  /** The "Environment of the sidecar" block, as shown. */
  envText: string;
}

/** Settings → "Connect the sidecar" → "Make the key": the dialog with the new key. */
export async function connectSidecarFromSettings(page: Page): Promise<SidecarKeyShown> {
  await page.locator('#tiktok_control_room_setting').getByRole('button', { name: 'Connect the sidecar' }).click();
  const wizard = page.locator('.modal-dialog', { has: page.locator('div[name="login"]') });
  await wizard.waitFor({ state: 'visible' });
  await wizard.getByRole('button', { name: 'Make the key' }).click();
  const dialog = page.locator('.modal-dialog', { has: page.locator('.o_tiktok_sidecar_key') });
  const env = dialog.locator('pre.o_tiktok_env_lines');
  await env.waitFor({ state: 'visible' });
  return { dialog, envText: await env.innerText() };
}

/** `NAME=value` lines (blank lines and # comments skipped), as a shell or an env file reads them. */
export function parseEnvLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`not an environment line: ${line}`);
    env[match[1]] = match[2];
  }
  return env;
}
