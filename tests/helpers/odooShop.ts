import { spawn, spawnSync } from 'node:child_process';
import {
  cloneDatabase,
  dropDatabase,
  loadConfig,
  odooBaseArgs,
  psql,
  startOdoo,
  stopOdoo,
  type OdooDevConfig,
  type RunningOdoo,
} from '../../scripts/odooDev';
import { freePort } from './process';

const PYTHON = '/usr/bin/python3';

export interface ShopSettings {
  pixelId: string;
  token: string;
  testEventCode?: string;
  relayUrl?: string;
  purchaseName?: 'Purchase' | 'CompletePayment';
}

export interface OdooShop {
  db: string;
  odoo: RunningOdoo;
  /** API key of a user that is only in the "TikTok sidecar" group. */
  sidecarLogin: string;
  sidecarApiKey: string;
  /** Run Python in `odoo-bin shell` on this database; returns what it printed after the marker. */
  shell(python: string): string;
  shellAsync(python: string): Promise<string>;
  psql(sql: string): string;
  stop(): Promise<void>;
}

const RESULT_MARKER = '@@RESULT@@';

function shellArgs(config: OdooDevConfig, db: string): string[] {
  const [odooBin, ...options] = odooBaseArgs(config);
  return [odooBin, 'shell', ...options, '-d', db, '--no-http', '--log-level=warn'];
}

/** What the script printed after the result marker (the shell prints its own banner before). */
function shellResult(stdout: string): string {
  const marker = stdout.lastIndexOf(RESULT_MARKER);
  return marker >= 0 ? stdout.slice(marker + RESULT_MARKER.length).trim() : '';
}

export function runShell(config: OdooDevConfig, db: string, python: string): string {
  const script = `${python}\nenv.cr.commit()\n`;
  const res = spawnSync(PYTHON, shellArgs(config, db), {
    input: script,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`odoo shell failed (exit ${res.status}):\n${res.stderr.slice(-3000)}`);
  return shellResult(res.stdout);
}

/**
 * The same as runShell without blocking the event loop: for callers that serve
 * HTTP in-process (a fake Events API) while Odoo works.
 */
export function runShellAsync(config: OdooDevConfig, db: string, python: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, shellArgs(config, db), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`odoo shell failed (exit ${code}):\n${stderr.slice(-3000)}`));
      resolve(shellResult(stdout));
    });
    child.stdin.end(`${python}\nenv.cr.commit()\n`);
  });
}

/**
 * A fresh shop database (copy of the template: shop apps, demo data, our module),
 * configured for TikTok with a least-privilege sidecar user, served by a real Odoo 19.
 */
export async function startShop(name: string, settings: ShopSettings): Promise<OdooShop> {
  const config = loadConfig();
  const db = `${name}_${process.pid}`;
  await cloneDatabase(db, config);
  // One shell for the settings and the user: each start of odoo-bin shell costs seconds.
  const { login, apiKey: key } = parseSidecarUser(
    runShell(
      config,
      db,
      `
ICP = env['ir.config_parameter'].sudo()
for key, value in ${JSON.stringify({
      enabled: 'True',
      pixel_id: settings.pixelId,
      access_token: settings.token,
      test_event_code: settings.testEventCode ?? '',
      relay_url: settings.relayUrl ?? '/tiktok/relay',
      purchase_event_name: settings.purchaseName ?? 'Purchase',
    })}.items():
    ICP.set_param('website_tiktok_events.' + key, value)

${sidecarUserPython('tiktok-sidecar')}`,
    ),
  );
  const odoo = await startOdoo(db, await freePort(), config);
  return {
    db,
    odoo,
    sidecarLogin: login,
    sidecarApiKey: key,
    shell: (python) => runShell(config, db, python),
    shellAsync: (python) => runShellAsync(config, db, python),
    psql: (sql) => psql(config, db, sql),
    async stop() {
      await stopOdoo(odoo.port, config);
      dropDatabase(db, config);
    },
  };
}

/**
 * The sidecar's Odoo user, least privilege: a portal user in the "TikTok
 * sidecar" group and nothing else, with an API key. Keys can only be generated server-side
 * (`res.users.apikeys._generate`, not callable over RPC), hence the shell.
 */
export function createSidecarUser(config: OdooDevConfig, db: string, login = 'tiktok-sidecar'): { login: string; apiKey: string } {
  return parseSidecarUser(runShell(config, db, sidecarUserPython(login)));
}

function sidecarUserPython(login: string): string {
  return `
import json
group = env.ref('website_tiktok_events.group_tiktok_sidecar')
user = env['res.users'].create({
    'name': 'TikTok sidecar', 'login': ${JSON.stringify(login)},
    'group_ids': [(6, 0, [env.ref('base.group_portal').id, group.id])],
})
key = env['res.users.apikeys'].with_user(user).sudo()._generate(None, 'tiktok sidecar', None)
print('${RESULT_MARKER}' + json.dumps({'login': user.login, 'key': key}))
`;
}

function parseSidecarUser(out: string): { login: string; apiKey: string } {
  const { login, key } = JSON.parse(out) as { login: string; key: string };
  return { login, apiKey: key };
}

export interface PaidOrder {
  id: number;
  name: string;
  /** The Purchase event id Odoo queued, as the confirmation page shows it. */
  eventId: string;
  amount: number;
  currency: string;
  email: string;
  phone: string;
  partnerId: number;
  /** The partner's ISO country code, which reads a phone number written without its own. */
  country: string;
  lines: { productId: number; name: string; qty: number; price: number }[];
}

/**
 * Web orders paid with the demo provider and post-processed as Odoo does after a
 * payment (transaction done → order confirmed → Purchase queued), with the buyer's
 * checkout context the module records from the payment request.
 */
export async function makePaidOrders(shop: OdooShop, count: number): Promise<PaidOrder[]> {
  const out = await shop.shellAsync(`
import json
website = env['website'].browse(1)
partner = env.ref('base.partner_demo_portal')
products = env['product.product'].search([('sale_ok', '=', True), ('is_published', '=', True), ('type', '=', 'consu')], limit=2)
provider = env['payment.provider'].sudo().search([('code', '=', 'demo')], limit=1)
method = provider.payment_method_ids[:1] or env['payment.method'].search([('code', '=', 'demo')], limit=1)
provider.state = 'test'
result = []
for i in range(${count}):
    order = env['sale.order'].sudo().create({
        'partner_id': partner.id,
        'website_id': website.id,
        'order_line': [(0, 0, {'product_id': p.id, 'product_uom_qty': n + 1}) for n, p in enumerate(products)],
    })
    order._tiktok_store_buyer_context('granted', ip='203.0.113.%d' % (i % 250 + 1), user_agent='Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0', ttclid='E.C.P.test%d' % i, ttp='2TtpCookieTest%08d' % i)
    tx = env['payment.transaction'].sudo().create({
        'provider_id': provider.id,
        'payment_method_id': method.id,
        'amount': order.amount_total,
        'currency_id': order.currency_id.id,
        'partner_id': partner.id,
        'sale_order_ids': [(6, 0, [order.id])],
    })
    tx._set_done()
    tx._post_process()
    result.append({
        'id': order.id, 'name': order.name, 'eventId': order._tiktok_purchase_event_id(), 'amount': order.amount_total, 'currency': order.currency_id.name,
        'email': partner.email or '', 'phone': partner.phone or '', 'partnerId': partner.id,
        'country': partner.country_id.code or '',
        'state': order.state, 'tiktok': order.tiktok_purchase_state,
        'lines': [{'productId': l.product_id.id, 'name': l.product_id.with_context(display_default_code=False).display_name, 'qty': l.product_uom_qty, 'price': l.price_unit}
                  for l in order.order_line if not l.is_delivery],
    })
print('@@RESULT@@' + json.dumps(result))
`);
  const orders = JSON.parse(out) as (PaidOrder & { state: string; tiktok: string })[];
  for (const o of orders) {
    if (o.state !== 'sale' || o.tiktok !== 'pending') throw new Error(`order ${o.name} was not queued: state ${o.state}, tiktok ${o.tiktok}`);
  }
  return orders;
}

/** The environment of a sidecar in Odoo mode on this shop, with its own port and outbox, sending to `eventsApiUrl`. */
/** The shop's `database.secret`: the key of the ids Odoo signs (external_id, event ids). */
export function databaseSecret(shop: OdooShop): string {
  return shop.psql(`SELECT value FROM ir_config_parameter WHERE key = 'database.secret'`).trim();
}

export function sidecarEnvFor(shop: OdooShop, opts: { port: number; outboxPath: string; eventsApiUrl: string; pollSeconds: number }): Record<string, string> {
  return {
    RELAY_PORT: String(opts.port),
    OUTBOX_PATH: opts.outboxPath,
    ODOO_URL: shop.odoo.url,
    ODOO_DB: shop.db,
    ODOO_LOGIN: shop.sidecarLogin,
    ODOO_API_KEY: shop.sidecarApiKey,
    TIKTOK_API_BASE_URL: opts.eventsApiUrl,
    POLL_INTERVAL_SECONDS: String(opts.pollSeconds),
    LOG_LEVEL: 'info',
  };
}
