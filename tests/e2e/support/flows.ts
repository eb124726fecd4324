/**
 * A shopper's flows through real Odoo 19 pages, driven the way a person
 * would: clicks on Odoo's own buttons and forms (its JS does the work).
 */
import type { Page } from 'playwright-core';
import { openLoginPage } from './backOffice';
import type { Shopper } from './shopper';

export interface Contact {
  name: string;
  email: string;
  phone: string;
}

export async function login(shopper: Shopper, loginName: string, password: string): Promise<void> {
  const { page } = shopper;
  await openLoginPage(page);
  await page.fill('input[name="login"]', loginName);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL((url) => url.pathname !== '/web/login'), page.click('form.oe_login_form button[type="submit"]')]);
}

/** Results page of a shop search, then the wishlist heart of the first result. */
export async function searchAndWishlist(shopper: Shopper, term: string): Promise<void> {
  await shopper.visit(`/shop?search=${encodeURIComponent(term)}`);
  const heart = shopper.page.locator('.o_add_wishlist').first();
  await heart.scrollIntoViewIfNeeded();
  await Promise.all([
    shopper.page.waitForResponse((r) => r.url().includes('/shop/wishlist/add')),
    heart.click({ force: true }),
  ]);
  await shopper.page.waitForTimeout(300);
}

/** Adds `quantity` of the product from its page; returns the unit price the page shows. */
export async function addToCart(shopper: Shopper, productUrl: string, quantity: number): Promise<number> {
  await shopper.visit(productUrl);
  const { page } = shopper;
  const shown = await page.locator('#product_detail .oe_price .oe_currency_value').first().innerText();
  await page.fill('input[name="add_qty"]', String(quantity));
  await Promise.all([page.waitForResponse((r) => r.url().includes('/shop/cart/add')), page.click('#add_to_cart')]);
  await page.waitForTimeout(500);
  return Number(shown.replace(/[^\d.]/g, ''));
}

async function fillAddress(page: Page, contact: Contact): Promise<void> {
  await page.fill('input[name="name"]', contact.name);
  await page.fill('input[name="email"]', contact.email);
  await page.fill('input[name="phone"]', contact.phone);
  await page.fill('input[name="street"]', 'Rue de la Loi 1');
  await page.fill('input[name="city"]', 'Brussels');
  await page.fill('input[name="zip"]', '1000');
  await page.selectOption('select[name="country_id"]', { label: 'Belgium' });
}

/** Cart → checkout (address for a guest) → the payment page. */
export async function checkoutToPayment(shopper: Shopper, guest?: Contact): Promise<void> {
  const { page } = shopper;
  await shopper.visit('/shop/cart');
  await shopper.visit('/shop/checkout?try_skip_step=true');
  for (let step = 0; step < 4 && !/\/shop\/payment/.test(page.url()); step += 1) {
    if (guest && (await page.locator('input[name="email"]').count())) await fillAddress(page, guest);
    const before = page.url();
    await Promise.all([page.waitForURL((url) => url.href !== before, { timeout: 30_000 }), page.click('[name="website_sale_main_button"]')]);
    await shopper.snapshot();
  }
  if (!/\/shop\/payment/.test(page.url())) throw new Error(`checkout did not reach /shop/payment (at ${page.url()})`);
}

/** Picks a payment method of the provider `code` as a shopper does: by its label, which covers the radio button. */
async function choosePaymentMethod(page: Page, code: string): Promise<void> {
  const radio = page.locator(`input[name="o_payment_radio"][data-provider-code="${code}"]`).first();
  if (!(await radio.count()) || (await radio.isChecked())) return;
  await page.locator(`label[for="${await radio.getAttribute('id')}"]`).click();
  await radio.waitFor({ state: 'attached' });
  if (!(await radio.isChecked())) throw new Error(`the ${code} payment method could not be chosen`);
}

/** The demo provider: any card number, "Pay". Resolves on the order's confirmation page. */
export async function payWithDemo(shopper: Shopper, { waitForConfirmation = true } = {}): Promise<void> {
  const { page } = shopper;
  await choosePaymentMethod(page, 'demo');
  await page.fill('input[name="customer_input"]', '4242424242424242');
  await page.click('button[name="o_payment_submit_button"]');
  if (!waitForConfirmation) return;
  await page.waitForURL(/\/shop\/confirmation/, { timeout: 60_000 });
  await shopper.snapshot();
}

/** Wire transfer (payment_custom): "Pay" places the order, which waits for the money. Resolves on the confirmation page. */
export async function payByWireTransfer(shopper: Shopper): Promise<void> {
  const { page } = shopper;
  await choosePaymentMethod(page, 'custom');
  await page.click('button[name="o_payment_submit_button"]');
  await page.waitForURL(/\/shop\/confirmation/, { timeout: 60_000 });
  await shopper.snapshot();
}

/** The sale.order id shown by the confirmation page. */
export async function confirmedOrderId(page: Page): Promise<number> {
  const id = await page.locator('div[name="order_confirmation"]').getAttribute('data-order-id');
  if (!id) throw new Error('no order id on the confirmation page');
  return Number(id);
}

export async function subscribeNewsletter(shopper: Shopper, url: string, email: string): Promise<void> {
  const { page } = shopper;
  await shopper.visit(url);
  await page.fill('.js_subscribe_value', email);
  await page.click('.js_subscribe_btn');
  await page.locator('.js_subscribed_wrap:not(.d-none)').waitFor({ state: 'attached' });
  await page.waitForTimeout(500);
}

async function submitWebsiteForm(shopper: Shopper, fields: Record<string, string>, successUrl: RegExp): Promise<void> {
  const { page } = shopper;
  const form = page.locator('.s_website_form form[data-model_name]').first();
  for (const [name, value] of Object.entries(fields)) {
    const input = form.locator(`[name="${name}"]`);
    if (await input.count()) await input.first().fill(value);
  }
  await Promise.all([page.waitForURL(successUrl, { timeout: 30_000 }), form.locator('.s_website_form_send').click()]);
  await shopper.snapshot();
}

export async function sendContactForm(shopper: Shopper, contact: Contact): Promise<void> {
  await shopper.visit('/contactus');
  await submitWebsiteForm(
    shopper,
    { name: contact.name, phone: contact.phone, email_from: contact.email, company: 'E2E Ltd', subject: 'Question', description: 'Do you ship to Mars?' },
    /contactus-thank-you/,
  );
}

export async function sendLeadForm(shopper: Shopper, url: string, contact: Contact): Promise<void> {
  await shopper.visit(url);
  await submitWebsiteForm(shopper, { contact_name: contact.name, email_from: contact.email, phone: contact.phone, name: 'Bulk order' }, /contactus-thank-you/);
}

export async function applyForJob(shopper: Shopper, jobUrl: string, contact: Contact): Promise<void> {
  const { page } = shopper;
  await shopper.visit(jobUrl);
  const apply = page.locator('a[href*="/apply"]').first();
  if (await apply.count()) await shopper.visit((await apply.getAttribute('href')) as string);
  await submitWebsiteForm(
    shopper,
    { partner_name: contact.name, email_from: contact.email, partner_phone: contact.phone, linkedin_profile: 'https://www.linkedin.com/in/tiktok-e2e', description: 'I would like to join.' },
    /job-thank-you/,
  );
}

/** Event page, ticket modal, attendee modal, success page. */
export async function registerForEvent(shopper: Shopper, eventUrl: string, attendee: Contact): Promise<void> {
  const { page } = shopper;
  await shopper.visit(eventUrl.replace(/\/?$/, '/register'));
  const attendeeForm = page.locator('form#attendee_registration');
  // The modals are Bootstrap's, opened by Odoo's lazily loaded JS: retry a click that came too early.
  for (let attempt = 0; attempt < 3 && !(await attendeeForm.isVisible()); attempt += 1) {
    const ticketModal = page.locator('#modal_ticket_registration');
    if (!(await ticketModal.isVisible())) await page.locator('button[data-bs-target="#modal_ticket_registration"]:visible').first().click();
    await ticketModal.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => undefined);
    await page.locator('form#registration_form button[type="submit"]').click({ timeout: 10_000 }).catch(() => undefined);
    await attendeeForm.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => undefined);
  }
  await attendeeForm.waitFor({ state: 'visible', timeout: 5_000 });
  await attendeeForm.locator('input[name*="-name-"]').first().fill(attendee.name);
  await attendeeForm.locator('input[name*="-email-"]').first().fill(attendee.email);
  const phone = attendeeForm.locator('input[name*="-phone-"]');
  if (await phone.count()) await phone.first().fill(attendee.phone);
  await Promise.all([page.waitForURL(/registration\/success/, { timeout: 30_000 }), attendeeForm.locator('button[type="submit"]').click()]);
  await shopper.snapshot();
}
