/**
 * Pictures for the README, taken by the end-to-end suites on a real Odoo 19:
 * the TikTok block of Website → Configuration → Settings (as admin), a
 * product page with the debug "pixel helper" panel, the TikTok dashboard and
 * the "Connect the sidecar" dialog (its key masked). Small PNGs: a clipped
 * region at a modest viewport. The module's Apps page shows some of them too:
 * they are copied next to its index.html.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
/** The Apps page of the module (static/description/index.html) shows these, by the same names. */
export const MODULE_DESCRIPTION_DIR = path.resolve(__dirname, '..', '..', 'addon', 'website_tiktok_events', 'static', 'description');
export const MODULE_DESCRIPTION_SHOTS: readonly string[] = ['settings.png', 'dashboard.png', 'product-debug.png'];

/** Path of a README screenshot; its copy for the module's Apps page is made by `published()`. */
function shotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return path.join(SCREENSHOT_DIR, name);
}

/** Copies a screenshot the Apps page shows next to its index.html; returns the README file. */
function published(file: string): string {
  const name = path.basename(file);
  if (MODULE_DESCRIPTION_SHOTS.includes(name)) copyFileSync(file, path.join(MODULE_DESCRIPTION_DIR, name));
  return file;
}

export interface ScreenshotTarget {
  browser: Browser;
  /** Origin of the website (its own domain). */
  origin: string;
  userAgent: string;
  /** The browser's time zone: the user's, so that Odoo shows every time alike (Chromium's default is UTC). */
  timezoneId?: string;
}

/** The settings page, scrolled to the TikTok block, all of it. Returns the file written. */
export async function settingsScreenshot(target: ScreenshotTarget, login = 'admin', password = 'admin'): Promise<string> {
  const context = await target.browser.newContext({ baseURL: target.origin, userAgent: target.userAgent, timezoneId: target.timezoneId, viewport: { width: 1200, height: 1400 } });
  try {
    const page = await context.newPage();
    await page.goto('/web/login');
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForURL((url) => url.pathname !== '/web/login'), page.click('form.oe_login_form button[type="submit"]')]);
    await page.goto('/odoo/action-website.action_website_configuration');
    // The settings block renders as a titled section: its heading, then its container.
    const title = page.getByText('TikTok Pixel & Events API', { exact: true }).first();
    await title.waitFor({ state: 'visible', timeout: 60_000 });
    await title.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(500);
    // The block is a heading followed by its settings container.
    const heading = page.locator('h2', { hasText: 'TikTok Pixel & Events API' }).first();
    const container = heading.locator('xpath=following-sibling::div[contains(@class, "o_settings_container")][1]');
    const [top, block] = [await heading.boundingBox(), await container.boundingBox()];
    if (!top || !block) throw new Error('the TikTok settings block is not rendered');
    const file = shotPath('settings.png');
    // The block only: from its heading, right of the settings' app list.
    const { x, y } = top;
    await page.screenshot({ path: file, clip: { x, y, width: 1200 - x, height: Math.min(1400 - y, block.y + block.height + 8 - y) } });
    return published(file);
  } finally {
    await context.close();
  }
}

/** A product page of a website in debug mode, with the pixel helper listing the events. */
export async function productDebugScreenshot(target: ScreenshotTarget, productUrl: string, prepare?: (context: import('playwright-core').BrowserContext) => Promise<void>): Promise<string> {
  const context = await target.browser.newContext({ baseURL: target.origin, userAgent: target.userAgent, viewport: { width: 1100, height: 760 } });
  try {
    if (prepare) await prepare(context);
    const page = await context.newPage();
    await page.goto(productUrl);
    await page.waitForLoadState('networkidle');
    await page.locator('.o_tiktok_pixel_helper_event').first().waitFor({ state: 'attached', timeout: 15_000 });
    await page.waitForTimeout(800);
    // The panel sits at the end of the page: the shot is of the page's end, panel included.
    const panel = page.locator('.o_tiktok_pixel_helper');
    await panel.scrollIntoViewIfNeeded();
    const file = shotPath('product-debug.png');
    await page.screenshot({ path: file });
    return published(file);
  } finally {
    await context.close();
  }
}

/**
 * The TikTok dashboard on `page` (already open), whole: the viewport is made
 * as tall as the dashboard for the picture, then given back.
 */
export async function dashboardScreenshot(page: Page): Promise<string> {
  const content = page.locator('.o_tiktok_dashboard_content');
  await content.waitFor({ state: 'visible' });
  const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
  const bottom = await content.evaluate((el) => el.getBoundingClientRect().top + el.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.ceil(bottom) + 8 });
  try {
    await page.waitForTimeout(300);
    const file = shotPath('dashboard.png');
    await page.screenshot({ path: file });
    return published(file);
  } finally {
    await page.setViewportSize(viewport);
  }
}

/**
 * The "Connect the sidecar" dialog showing its key, with every occurrence of
 * the key replaced by dots in the page first: no key, even of a test
 * database, ever lands in a committed picture. Throws when the key is still
 * in the dialog's text after masking.
 */
export async function connectWizardScreenshot(dialog: Locator, key: string): Promise<string> {
  if (key.length < 8) throw new Error('expected the API key shown by the dialog');
  await dialog.evaluate((root, secret) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeValue?.includes(secret)) node.nodeValue = node.nodeValue.split(secret).join('•'.repeat(24));
    }
  }, key);
  if ((await dialog.innerText()).includes(key)) throw new Error('the API key is still shown: no screenshot taken');
  const file = shotPath('connect-wizard.png');
  await dialog.screenshot({ path: file });
  return published(file);
}
