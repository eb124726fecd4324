/**
 * Pictures for the README, taken by the end-to-end suite on a real Odoo 19:
 * the TikTok block of Website → Configuration → Settings (as admin) and a
 * product page with the debug "pixel helper" panel. Small PNGs: a clipped
 * region at a modest viewport.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

export interface ScreenshotTarget {
  browser: Browser;
  /** Origin of the website (its own domain). */
  origin: string;
  userAgent: string;
}

/** The settings page, scrolled to the TikTok block. Returns the file written. */
export async function settingsScreenshot(target: ScreenshotTarget, login = 'admin', password = 'admin'): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const context = await target.browser.newContext({ baseURL: target.origin, userAgent: target.userAgent, viewport: { width: 1200, height: 800 } });
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
    const box = await title.boundingBox();
    if (!box) throw new Error('the TikTok settings block is not rendered');
    const file = path.join(SCREENSHOT_DIR, 'settings.png');
    // The heading and the settings under it.
    await page.screenshot({ path: file, clip: { x: 0, y: Math.max(0, box.y - 8), width: 1200, height: 520 } });
    return file;
  } finally {
    await context.close();
  }
}

/** A product page of a website in debug mode, with the pixel helper listing the events. */
export async function productDebugScreenshot(target: ScreenshotTarget, productUrl: string, prepare?: (context: import('playwright-core').BrowserContext) => Promise<void>): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
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
    const file = path.join(SCREENSHOT_DIR, 'product-debug.png');
    await page.screenshot({ path: file });
    return file;
  } finally {
    await context.close();
  }
}
