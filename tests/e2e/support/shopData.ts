/**
 * What the walks need that the demo data lacks, created as a merchant would
 * (through the models, as admin): an event open for registration (demo events
 * are in the past), a page with Odoo's newsletter block, and a page with a
 * website form that creates CRM leads (/contactus sends a mail.mail).
 */
import { odooDatetime, type OdooAdmin } from './odooAdmin';

export interface ShopData {
  productUrl: string;
  productName: string;
  productId: number;
  productPrice: number;
  eventUrl: string;
  eventId: number;
  newsletterUrl: string;
  leadUrl: string;
  jobUrl: string;
}

export const NEWSLETTER_PATH = '/tiktok-e2e-newsletter';
export const LEAD_PATH = '/tiktok-e2e-lead';

async function futureEvent(admin: OdooAdmin): Promise<{ id: number; url: string }> {
  const begin = new Date(Date.now() + 14 * 86400_000);
  const end = new Date(begin.getTime() + 8 * 3600_000);
  const id = await admin.call<number>('event.event', 'create', [
    {
      name: 'TikTok E2E Conference',
      date_begin: odooDatetime(begin),
      date_end: odooDatetime(end),
      website_published: true,
      event_ticket_ids: [[0, 0, { name: 'Free entrance', price: 0 }]],
    },
  ]);
  const [event] = await admin.call<Array<{ website_url: string }>>('event.event', 'read', [[id]], { fields: ['website_url'] });
  return { id, url: event.website_url };
}

/** Published, variant-free products without optional products: "Add to cart" adds them directly. */
export const SIMPLE_PRODUCT_DOMAIN = [
  ['is_published', '=', true],
  ['sale_ok', '=', true],
  ['list_price', '>', 0],
  ['attribute_line_ids', '=', false],
  ['optional_product_ids', '=', false],
  ['type', '=', 'consu'],
];

/** A simple product (see SIMPLE_PRODUCT_DOMAIN) named like a desk. */
async function simpleProduct(admin: OdooAdmin): Promise<{ url: string; name: string; productId: number; price: number }> {
  const [row] = await admin.call<Array<{ website_url: string; name: string; product_variant_id: [number, string]; list_price: number }>>(
    'product.template',
    'search_read',
    [[...SIMPLE_PRODUCT_DOMAIN, ['name', 'ilike', 'desk']]],
    { fields: ['website_url', 'name', 'product_variant_id', 'list_price'], limit: 1, order: 'id' },
  );
  if (!row) throw new Error('no simple published desk product in the demo data');
  return { url: row.website_url, name: row.name, productId: row.product_variant_id[0], price: row.list_price };
}

async function qwebPage(admin: OdooAdmin, url: string, key: string, body: string): Promise<void> {
  const arch = `<t name="${key}" t-name="website.${key}"><t t-call="website.layout"><div id="wrap" class="oe_structure">${body}</div></t></t>`;
  const viewId = await admin.call<number>('ir.ui.view', 'create', [{ name: key, type: 'qweb', key: `website.${key}`, arch }]);
  await admin.call('website.page', 'create', [{ view_id: viewId, url, is_published: true, website_id: 1 }]);
}

async function newsletterPage(admin: OdooAdmin): Promise<void> {
  const [list] = await admin.call<number[]>('mailing.list', 'search', [[]], { limit: 1 });
  await qwebPage(
    admin,
    NEWSLETTER_PATH,
    'tiktok_e2e_newsletter',
    `<section class="s_newsletter_block pt32 pb32" data-list-id="${list}"><div class="container">` +
      `<t t-call="website_mass_mailing.s_newsletter_subscribe_form"/></div></section>`,
  );
}

function formField(name: string, type: string, label: string, required = true): string {
  return (
    `<div class="mb-3 col-12 s_website_form_field${required ? ' s_website_form_required' : ''}" data-type="char" data-name="Field">` +
    `<label class="s_website_form_label" for="lead_${name}"><span class="s_website_form_label_content">${label}</span></label>` +
    `<input id="lead_${name}" type="${type}" class="form-control s_website_form_input" name="${name}"${required ? ' required=""' : ''}/></div>`
  );
}

/** The website builder's form snippet, bound to crm.lead (website_crm allows it). */
async function leadPage(admin: OdooAdmin): Promise<void> {
  await qwebPage(
    admin,
    LEAD_PATH,
    'tiktok_e2e_lead',
    `<section class="s_website_form" data-vcss="001" data-snippet="s_website_form"><div class="container">` +
      `<form id="lead_form" action="/website/form/" method="post" enctype="multipart/form-data" class="o_mark_required" data-mark="*" ` +
      `data-model_name="crm.lead" data-success-mode="redirect" data-success-page="/contactus-thank-you">` +
      `<div class="s_website_form_rows row s_col_no_bgcolor">` +
      formField('contact_name', 'text', 'Your name') +
      formField('email_from', 'email', 'Email') +
      formField('phone', 'tel', 'Phone', false) +
      formField('name', 'text', 'Subject') +
      `<div class="mb-0 py-2 col-12 s_website_form_submit text-end" data-name="Submit Button">` +
      `<a href="#" role="button" class="btn btn-primary s_website_form_send">Submit</a><span id="s_website_form_result"></span></div>` +
      `</div></form></div></section>`,
  );
}

async function jobUrl(admin: OdooAdmin): Promise<string> {
  const [job] = await admin.call<Array<{ website_url: string }>>(
    'hr.job',
    'search_read',
    [[['website_published', '=', true]]],
    { fields: ['website_url'], limit: 1, order: 'id' },
  );
  if (!job) throw new Error('no published job in the demo data');
  return job.website_url;
}

export async function prepareShopData(admin: OdooAdmin): Promise<ShopData> {
  const [product, event, job] = await Promise.all([simpleProduct(admin), futureEvent(admin), jobUrl(admin)]);
  await newsletterPage(admin);
  await leadPage(admin);
  return {
    productUrl: product.url,
    productName: product.name,
    productId: product.productId,
    productPrice: product.price,
    eventUrl: event.url,
    eventId: event.id,
    newsletterUrl: NEWSLETTER_PATH,
    leadUrl: LEAD_PATH,
    jobUrl: job,
  };
}
