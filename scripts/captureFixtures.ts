/**
 * Captures real Odoo 19 pages as trimmed HTML fixtures for the browser bundle's
 * jsdom tests (tests/fixtures/odoo19/*.html).
 *
 * Usage:
 *   ODOO_URL=http://127.0.0.1:8269 ODOO_DB=tt_fix npx ts-node --transpile-only scripts/captureFixtures.ts
 *
 * Needs a running Odoo 19 with demo data and website_sale, website_event,
 * website_sale_wishlist, website_mass_mailing, website_crm,
 * website_hr_recruitment and payment_demo installed (see docs on running a real
 * Odoo). It walks a shopper's flows in headless Chromium (a cart and a session
 * are needed for checkout pages) and creates one future event with a free
 * ticket over XML-RPC as admin, because demo events are in the past.
 *
 * Fixtures keep the DOM the detectors read and drop what they never read
 * (scripts, styles, images, CSRF tokens), so they stay small and reviewable.
 */
import { inspect } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as xmlrpc from 'xmlrpc';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from '../tests/e2e/support/env';
import { SIMPLE_PRODUCT_DOMAIN } from '../tests/e2e/support/shopData';
import { CHROMIUM_ARGS } from '../tests/e2e/support/stack';

const ODOO_URL = process.env.ODOO_URL ?? 'http://127.0.0.1:8269';
const ODOO_DB = process.env.ODOO_DB ?? 'tt_b_fix';
const ADMIN_LOGIN = process.env.ODOO_LOGIN ?? 'admin';
const ADMIN_PASSWORD = process.env.ODOO_PASSWORD ?? 'admin';
const OUT_DIR = join(__dirname, '..', 'tests', 'fixtures', 'odoo19');

type XmlRpcValue = unknown;

function rpcCall(path: string, method: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
  const url = new URL(path, ODOO_URL);
  const client = xmlrpc.createClient({ host: url.hostname, port: Number(url.port || 80), path: url.pathname });
  return new Promise((resolve, reject) => {
    client.methodCall(method, params, (err: unknown, value: XmlRpcValue) => (err ? reject(err instanceof Error ? err : new Error(inspect(err))) : resolve(value)));
  });
}

async function adminExecute(model: string, method: string, args: XmlRpcValue[], kwargs: Record<string, unknown> = {}) {
  const uid = await rpcCall('/xmlrpc/2/common', 'authenticate', [ODOO_DB, ADMIN_LOGIN, ADMIN_PASSWORD, {}]);
  return rpcCall('/xmlrpc/2/object', 'execute_kw', [ODOO_DB, uid, ADMIN_PASSWORD, model, method, args, kwargs]);
}

function odooDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** A published event two weeks ahead with one free ticket, so registration is open. */
async function ensureFutureEvent(): Promise<string> {
  const name = 'TikTok Fixture Conference';
  const existing = (await adminExecute('event.event', 'search_read', [[['name', '=', name]]], {
    fields: ['website_url'],
  })) as Array<{ website_url: string }>;
  if (existing.length) return existing[0].website_url;
  const begin = new Date(Date.now() + 14 * 86400_000);
  const end = new Date(begin.getTime() + 8 * 3600_000);
  const id = (await adminExecute('event.event', 'create', [
    {
      name,
      date_begin: odooDatetime(begin),
      date_end: odooDatetime(end),
      website_published: true,
      event_ticket_ids: [[0, 0, { name: 'Free entrance', price: 0 }]],
    },
  ])) as number;
  const [event] = (await adminExecute('event.event', 'read', [[id]], { fields: ['website_url'] })) as Array<{
    website_url: string;
  }>;
  return event.website_url;
}

/** A published, variant-free product without optional products: "Add to cart" adds it directly. */
async function simpleProductUrl(): Promise<string> {
  const rows = (await adminExecute(
    'product.template',
    'search_read',
    [SIMPLE_PRODUCT_DOMAIN],
    { fields: ['website_url', 'name'], limit: 1, order: 'id' },
  )) as Array<{ website_url: string }>;
  if (!rows.length) throw new Error('no simple published product in the demo data');
  return rows[0].website_url;
}

async function variantProductUrl(): Promise<string | undefined> {
  const rows = (await adminExecute(
    'product.template',
    'search_read',
    [[['is_published', '=', true], ['attribute_line_ids', '!=', false]]],
    { fields: ['website_url'], limit: 1, order: 'id' },
  )) as Array<{ website_url: string }>;
  return rows[0]?.website_url;
}

/**
 * Keeps the DOM, drops what no detector reads. Done in the page so the
 * browser's own serializer produces the HTML.
 */
async function trimmedHtml(page: Page): Promise<string> {
  const html = await page.evaluate(() => {
    const doc = document.documentElement.cloneNode(true) as HTMLElement;
    doc
      .querySelectorAll('script:not([type="application/json"]), style, link, noscript, svg, iframe, img, picture, meta')
      .forEach((el) => el.remove());
    doc.querySelectorAll('input[name="csrf_token"]').forEach((el) => el.setAttribute('value', 'CSRF'));
    doc.querySelectorAll('[data-access-token]').forEach((el) => el.setAttribute('data-access-token', 'ACCESS_TOKEN'));
    doc.querySelectorAll('a[href*="access_token="]').forEach((el) =>
      el.setAttribute('href', (el.getAttribute('href') ?? '').replace(/access_token=[^&]+/, 'access_token=ACCESS_TOKEN')),
    );
    doc.querySelectorAll('[style]').forEach((el) => el.removeAttribute('style'));
    doc.querySelectorAll('[srcset], [data-bs-original-title]').forEach((el) => {
      el.removeAttribute('srcset');
      el.removeAttribute('data-bs-original-title');
    });
    return '<!DOCTYPE html>\n' + doc.outerHTML;
  });
  return (
    html
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/[ \t]+\n/g, '\n')
      .replace(/\n{2,}/g, '\n')
      // session-bound values that would make every capture differ
      .replace(/csrf_token[^"\n]*"[0-9a-f]{40}o\d+"/g, 'csrf_token: "CSRF"') + '\n'
  );
}

async function save(page: Page, name: string): Promise<void> {
  const html = await trimmedHtml(page);
  writeFileSync(join(OUT_DIR, `${name}.html`), html);
  console.log(`captured ${name}.html (${html.length} bytes) from ${page.url()}`);
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const eventUrl = await ensureFutureEvent();
  const productUrl = await simpleProductUrl();
  const variantUrl = await variantProductUrl();

  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  });
  try {
    const context = await browser.newContext({ baseURL: ODOO_URL });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    const settle = () => page.waitForLoadState('networkidle');

    // ONLY=shop,event,forms,newsletter re-captures some flows.
    const only = (process.env.ONLY ?? 'shop,event,forms,newsletter').split(',');
    if (only.includes('shop')) await captureShop(page, settle, productUrl, variantUrl);
    if (only.includes('event')) await captureEvent(page, settle, eventUrl);
    if (only.includes('forms')) await captureForms(page, settle);
    if (only.includes('newsletter')) await captureNewsletter(page, settle);
  } finally {
    await browser.close();
  }
}

type Settle = () => Promise<void>;

async function captureShop(page: Page, settle: Settle, productUrl: string, variantUrl: string | undefined) {
    // Shop catalogue with search results (wishlist buttons live on the grid).
    await page.goto('/shop?search=desk');
    await settle();
    await save(page, 'shop_search');

    if (variantUrl) {
      await page.goto(variantUrl);
      await settle();
      await save(page, 'product_variants');
    }

    // Product page, then a real add-to-cart through Odoo's own JS.
    await page.goto(productUrl);
    await settle();
    await save(page, 'product');
    await page.fill('input[name="add_qty"]', '2');
    await page.click('#add_to_cart');
    await page.waitForResponse((r) => r.url().includes('/shop/cart/add'));
    await settle();

    await page.goto('/shop/cart');
    await settle();
    await save(page, 'cart');

    // Checkout as a guest: the address form, then the payment page.
    await page.goto('/shop/checkout?try_skip_step=true');
    await settle();
    await save(page, 'checkout_address');
    await page.fill('input[name="name"]', 'Jane Shopper');
    await page.fill('input[name="email"]', 'jane.shopper@example.com');
    await page.fill('input[name="phone"]', '+32 470 12 34 56');
    await page.fill('input[name="street"]', 'Rue de la Loi 1');
    await page.fill('input[name="city"]', 'Brussels');
    await page.fill('input[name="zip"]', '1000');
    await page.selectOption('select[name="country_id"]', { label: 'Belgium' });
    await page.click('[name="website_sale_main_button"]');
    await page.waitForURL(/\/shop\/(checkout|payment|confirm_order|extra_info)/);
    await settle();
    if (!page.url().includes('/shop/payment')) {
      await save(page, 'checkout');
      await page.click('[name="website_sale_main_button"]');
      await page.waitForURL(/\/shop\/payment/);
      await settle();
    }
    await save(page, 'payment');

    // Demo provider: pick it, type any card number, pay.
    const demoRadio = page.locator('input[name="o_payment_radio"][data-provider-code="demo"]');
    if (await demoRadio.count()) await demoRadio.first().check();
    await page.fill('input[name="customer_input"]', '4242424242424242');
    await page.click('button[name="o_payment_submit_button"]');
    await page.waitForURL(/\/shop\/confirmation/, { timeout: 60_000 });
    await settle();
    await save(page, 'confirmation');
}

async function captureEvent(page: Page, settle: Settle, eventUrl: string) {

    // Event page and a free registration through the two modals.
    await page.goto(eventUrl.replace(/\/?$/, '/register'));
    await settle();
    await save(page, 'event');
    await page.locator('button[data-bs-target="#modal_ticket_registration"]:visible').first().click();
    await page.locator('form#registration_form button[type="submit"]').click();
    const attendeeForm = page.locator('form#attendee_registration');
    await attendeeForm.waitFor({ state: 'visible' });
    await save(page, 'event_attendee_modal');
    await attendeeForm.locator('input[name$="-name-"], input[name*="-name-"]').first().fill('Ann Attendee');
    await attendeeForm.locator('input[name*="-email-"]').first().fill('ann.attendee@example.com');
    const phone = attendeeForm.locator('input[name*="-phone-"]');
    if (await phone.count()) await phone.first().fill('0470 11 22 33');
    await attendeeForm.locator('button[type="submit"]').click();
    await page.waitForURL(/registration\/success/);
    await settle();
    await save(page, 'event_registration_success');
}

async function captureForms(page: Page, settle: Settle) {

    // Website forms: contact us and a job application, plus their thank-you pages.
    await page.goto('/contactus');
    await settle();
    await save(page, 'contactus');
    await page.goto('/contactus-thank-you');
    await settle();
    await save(page, 'contactus_thank_you');

    await page.goto('/jobs');
    await settle();
    const jobLink = page.locator('a[href*="/jobs/"]').first();
    await page.goto((await jobLink.getAttribute('href')) ?? '/jobs');
    await settle();
    const apply = page.locator('a[href*="/apply"]').first();
    if (await apply.count()) {
      await page.goto((await apply.getAttribute('href')) as string);
      await settle();
    }
    await save(page, 'job_apply');
}

/**
 * Demo data has no page with a newsletter block, so one is published with
 * Odoo's own snippet template (website_mass_mailing.s_newsletter_subscribe_form).
 */
async function ensureNewsletterPage(): Promise<string> {
  const url = '/tiktok-newsletter';
  const found = (await adminExecute('website.page', 'search', [[['url', '=', url]]])) as number[];
  if (found.length) return url;
  const [list] = (await adminExecute('mailing.list', 'search', [[]], { limit: 1 })) as number[];
  const arch = `<t name="Newsletter" t-name="website.tiktok_newsletter"><t t-call="website.layout">
    <div id="wrap" class="oe_structure"><section class="s_newsletter_block pt32 pb32" data-list-id="${list}">
    <div class="container"><t t-call="website_mass_mailing.s_newsletter_subscribe_form"/></div></section></div>
  </t></t>`;
  const viewId = await adminExecute('ir.ui.view', 'create', [{ name: 'Newsletter', type: 'qweb', key: 'website.tiktok_newsletter', arch }]);
  await adminExecute('website.page', 'create', [{ view_id: viewId, url, is_published: true, website_id: 1 }]);
  return url;
}

async function captureNewsletter(page: Page, settle: Settle) {
  await page.goto(await ensureNewsletterPage());
  await settle();
  await save(page, 'newsletter');
  await page.fill('.js_subscribe_value', 'news.reader@example.com');
  await page.click('.js_subscribe_btn');
  await page.locator('.js_subscribed_wrap:not(.d-none)').waitFor({ state: 'attached' });
  await save(page, 'newsletter_subscribed');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
