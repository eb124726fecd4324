import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  copyDatabase,
  dropDatabase,
  ensureBaseDatabase,
  loadConfig,
  moduleLogProblems,
  MODULE_NAME,
  odooUnavailableReason,
  psql,
  REPO_ROOT,
  runOdoo,
} from '../../scripts/odooDev';
import { runShell } from '../helpers/odooShop';

/**
 * Merchants upgrade in place: databases written by earlier releases are
 * upgraded with this checkout's module.
 * - 19.0.1.0.0 kept the Purchase queue on sale.order: its queued Purchases
 *   keep their event ids.
 * - 19.0.1.2.0 had the control room without the confirmation-page note: its
 *   counts stay, its sent Purchases count as sent by the server only.
 * - Before 19.0.1.4.0, SubmitForm was sent as SubmitForm unless told
 *   otherwise: a database keeps the name it effectively sent.
 * - 19.0.1.4.0 adds the queue of other sources' events; the CRM bridge installs on it.
 * - 19.0.1.5.0 sends a web Purchase only for an order a buyer checked out on the
 *   website: orders the previous release queued, or whose checkout recorded its
 *   buyer's context, count as checked out; a back-office order does not. Dead
 *   letters' outbox ids take numbers past 2^31; replicas keep their run. The
 *   Point of Sale bridge (19.0.1.1.0) freezes what its recorded sales were paid.
 * - 19.0.1.6.0 sends a web Purchase with what its buyer checked out: checkouts
 *   recorded before get their order's values at the upgrade. The CRM bridge
 *   (19.0.1.1.0) sends only leads of a website form (with consent) or of a
 *   TikTok lead form, with the keys they came in with: earlier leads keep
 *   theirs as at the upgrade, back-office leads' waiting events are skipped.
 * - Later, both queues take their mechanics from one mixin (tiktok.claim.queue):
 *   no column or index changes, so rows claimed before the upgrade stay their
 *   replica's, leased, and are settled by it after.
 * - 19.0.1.7.0 counts the pixel's state and the match keys per event, and
 *   honours Global Privacy Control: days counted before keep their counts (the
 *   new ones at 0), an upgraded database keeps ignoring the signal until an
 *   administrator chooses, and an order checked out before has no signal.
 * - 19.0.1.7.0 installs the bridges of the apps a shop already had (the CRM,
 *   the Point of Sale): auto_install does it on a fresh install only. A
 *   replica's latency keeps its figure, dated from its last report.
 */
const FIRST_RELEASE = '663b286'; // website_tiktok_events 19.0.1.0.0
const CONTROL_ROOM_RELEASE = '12eba5f'; // website_tiktok_events 19.0.1.2.0
const SOURCES_RELEASE = '98a1284'; // website_tiktok_events 19.0.1.4.0, website_tiktok_events_pos 19.0.1.0.0
const CHECKOUT_RELEASE = '2327533'; // website_tiktok_events 19.0.1.5.0, website_tiktok_events_crm 19.0.1.0.0
const SEPARATE_QUEUES_RELEASE = 'ced030a'; // website_tiktok_events 19.0.1.6.0, website_tiktok_events_crm 19.0.1.1.0
/** The last release before the pixel's state and Global Privacy Control (website_tiktok_events 19.0.1.6.0). */
const BEFORE_GPC_RELEASE = '86ad99e';
const POS_BRIDGE = 'website_tiktok_events_pos';
const CRM_BRIDGE = 'website_tiktok_events_crm';

const unavailable = odooUnavailableReason();
if (unavailable) console.warn(`Odoo upgrade test skipped: ${unavailable}`);

/**
 * Python for a shell of the previous release: TikTok on with `pixelId` (Purchases
 * without payment allowed); website 1 as `website`, its cookie bar off.
 */
function pixelSetupPy(pixelId: string): string {
  return `ICP = env['ir.config_parameter'].sudo()
for key, value in {'enabled': 'True', 'pixel_id': '${pixelId}', 'access_token': 'tok',
                   'purchase_without_payment': 'True'}.items():
    ICP.set_param('website_tiktok_events.' + key, value)
website = env['website'].browse(1)
website.cookies_bar = False`;
}

const describeWithOdoo = unavailable ? describe.skip : describe;

/** Python: a shop sending its website's Purchases (with or without payment) and its CRM stages to `pixelId` and `eventSet`; `website`, `product` defined. */
function shopWithCrmEventSet(pixelId: string, eventSet: string): string {
  return `import json
ICP = env['ir.config_parameter'].sudo()
for key, value in {'enabled': 'True', 'pixel_id': '${pixelId}', 'access_token': 'tok',
                   'purchase_without_payment': 'True'}.items():
    ICP.set_param('website_tiktok_events.' + key, value)
website = env['website'].browse(1)
website.write({'cookies_bar': False, 'tiktok_crm_event_set_id': '${eventSet}'})
product = env['product.product'].search([('sale_ok', '=', True)], limit=1)`;
}

describeWithOdoo('upgrade from earlier releases on real Odoo 19', () => {
  const config = loadConfig();
  const databases: string[] = [];
  const checkouts: string[] = [];

  /** A fresh shop database with the module of an earlier release installed; returns that release's config. */
  async function installRelease(commit: string, db: string, modules: string[] = [MODULE_NAME]): Promise<typeof config> {
    const checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'tiktok-previous-'));
    checkouts.push(checkout);
    const archive = execFileSync('git', ['-C', REPO_ROOT, 'archive', commit, ...modules.map((m) => `addon/${m}`)], { maxBuffer: 256 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', checkout], { input: archive });
    await ensureBaseDatabase(config);
    const previous = { ...config, addonRoot: path.join(checkout, 'addon') };
    copyDatabase(config.baseDb, db, config);
    databases.push(db);
    const installLog = path.join(os.tmpdir(), `${db}-install.log`);
    expect(runOdoo(previous, ['-d', db, '-i', modules.join(','), '--stop-after-init', '--no-http'], installLog)).toBe(0);
    return previous;
  }

  function upgradeToThisCheckout(db: string, modules: string[] = [MODULE_NAME]): void {
    const upgradeLog = path.join(os.tmpdir(), `${db}-upgrade.log`);
    expect(runOdoo(config, ['-d', db, '-u', modules.join(','), '--stop-after-init', '--no-http'], upgradeLog)).toBe(0);
    expect(moduleLogProblems(fs.readFileSync(upgradeLog, 'utf8'))).toEqual([]);
  }

  afterAll(() => {
    for (const db of databases) dropDatabase(db, config);
    for (const checkout of checkouts) fs.rmSync(checkout, { recursive: true, force: true });
  });

  it('moves queued Purchases into the new queue with their event ids and drops the old columns', async () => {
    const db = `tt_upgrade_${process.pid}`;
    const previous = await installRelease(FIRST_RELEASE, db);

    // Orders in every state the previous release wrote, the way it wrote them.
    const states = ['pending', 'claimed', 'sent', 'skipped'];
    const ids = JSON.parse(
      runShell(previous, db, `
import json
from datetime import timedelta
from odoo import fields
env['ir.config_parameter'].sudo().set_param('website_tiktok_events.purchase_without_payment', 'True')
env['ir.config_parameter'].sudo().set_param('website_tiktok_events.test_event_code', 'TESTGLOBAL1')
env['website'].browse(1).tiktok_test_event_code = 'TESTSITE1'
partner = env.ref('base.res_partner_2')
product = env['product.product'].search([('sale_ok', '=', True)], limit=1)
ids = []
for state in ${JSON.stringify(states)}:
    order = env['sale.order'].create({
        'partner_id': partner.id, 'website_id': env['website'].browse(1).id,
        'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1})],
    })
    order.action_confirm()
    order.sudo().write({
        'tiktok_purchase_state': state, 'tiktok_purchase_time': fields.Datetime.now() - timedelta(minutes=5),
        'tiktok_consent': 'not_required', 'tiktok_claimed_by': 'old-replica' if state == 'claimed' else False,
        'tiktok_lease_until': fields.Datetime.now() - timedelta(minutes=1) if state == 'claimed' else False,
    })
    ids.append(order.id)
print('@@RESULT@@' + json.dumps(ids))
`),
    ) as number[];

    upgradeToThisCheckout(db);

    const queue = psql(config, db, `SELECT sale_order_id || ' ' || event_id || ' ' || state FROM tiktok_server_event WHERE sale_order_id IN (${ids.join(',')}) ORDER BY sale_order_id`);
    expect(queue.split('\n')).toEqual(ids.map((id, i) => `${id} purchase-so-${id} ${states[i]}`));
    expect(psql(config, db, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'sale_order' AND column_name IN ('tiktok_purchase_state', 'tiktok_purchase_time', 'tiktok_claimed_by', 'tiktok_lease_until')`)).toBe('0');
    // Test event codes set before the upgrade are dated from it, so a code left on is flagged a day later.
    expect(psql(config, db, `SELECT tiktok_test_event_code_set_at IS NOT NULL FROM website WHERE id = 1`)).toBe('t');
    expect(psql(config, db, `SELECT count(*) FROM ir_config_parameter WHERE key = 'website_tiktok_events.test_event_code_set_at'`)).toBe('1');

    // The pending order and the one whose replica died are sent with the ids their pages showed.
    const claimed = JSON.parse(
      runShell(config, db, `
import json
claimed = env['sale.order'].tiktok_claim_purchases(limit=10, claimer='new-replica')
page_id = env['sale.order'].browse(${ids[0]})._tiktok_purchase_data()['event_id']
print('@@RESULT@@' + json.dumps({'claimed': [[c['order_id'], c['event_id']] for c in claimed], 'page': page_id}))
`),
    ) as { claimed: [number, string][]; page: string };
    expect(claimed.claimed).toEqual([ids[0], ids[1]].map((id) => [id, `purchase-so-${id}`]));
    expect(claimed.page).toBe(`purchase-so-${ids[0]}`);
  }, 15 * 60_000);

  it('keeps the control room\'s counts and counts its sent Purchases as sent by the server only', async () => {
    const db = `tt_upgrade_cr_${process.pid}`;
    const previous = await installRelease(CONTROL_ROOM_RELEASE, db);
    const orderId = JSON.parse(
      runShell(previous, db, `
import json
from odoo import fields
website = env['website'].browse(1)
order = env['sale.order'].create({
    'partner_id': env.ref('base.res_partner_2').id, 'website_id': website.id,
    'order_line': [(0, 0, {'product_id': env['product.product'].search([('sale_ok', '=', True)], limit=1).id})],
})
order.action_confirm()
env['tiktok.server.event'].sudo().create({
    'sale_order_id': order.id, 'website_id': website.id, 'event_id': 'purchase-before-upgrade', 'state': 'sent'})
env['tiktok.event.daily'].sudo().create({
    'day': fields.Date.today(), 'website_id': website.id, 'event': 'Purchase', 'delivered': 7})
print('@@RESULT@@' + json.dumps(order.id))
`),
    ) as number;

    upgradeToThisCheckout(db);

    const shown = JSON.parse(
      runShell(config, db, `
import json
# The 7-day window, not "today": the row was written on the day the old release ran, and
# an upgrade that crosses midnight reads it on the next.
data = env['tiktok.sidecar.report'].tiktok_dashboard_data(days=7, website_id=1)
purchase = [row for row in data['events'] if row['event'] == 'Purchase'][0]
rows = {row['key']: row['count'] for row in data['purchases']['rows']}
match = [(site['rate'], site['events']) for site in data['catalog_match']['websites'] if site['website_id'] == 1]
print('@@RESULT@@' + json.dumps({'delivered': purchase['period']['delivered'], 'rows': rows, 'match': match,
                                  'shown': bool(env['sale.order'].browse(${orderId}).tiktok_confirmation_shown_at)}))
`),
    ) as { delivered: number; rows: Record<string, number>; shown: boolean; match: unknown[] };
    expect(shown.delivered).toBe(7);
    // The catalog match's tables are there: nothing sent with a content id yet, no rate.
    expect(shown.match).toEqual([[null, 0]]);
    expect(shown.shown).toBe(false);
    expect(shown.rows.server_only).toBeGreaterThanOrEqual(1);
    expect(shown.rows.paired).toBeUndefined();
    // 19.0.1.4.0: the queue of other sources' events is there, empty, and claims like the Purchase queue.
    expect(runShell(config, db, `print('@@RESULT@@' + repr(env['tiktok.source.event'].tiktok_claim_source_events(claimer='new-replica')))`)).toBe('[]');
    const bridge = path.join(os.tmpdir(), `${db}-bridge.log`);
    expect(runOdoo(config, ['-d', db, '-i', 'website_tiktok_events_crm', '--stop-after-init', '--no-http'], bridge)).toBe(0);
    expect(moduleLogProblems(fs.readFileSync(bridge, 'utf8'))).toEqual([]);
  }, 15 * 60_000);

  it('installs the bridges of the CRM and the Point of Sale a shop already had; the last latency keeps its figure and gets a date', async () => {
    const db = `tt_upgrade_bridges_${process.pid}`;
    const previous = await installRelease(CONTROL_ROOM_RELEASE, db);
    const states = () => psql(config, db, `SELECT string_agg(name || '=' || state, ' ' ORDER BY name) FROM ir_module_module WHERE name IN ('crm', 'point_of_sale', '${CRM_BRIDGE}', '${POS_BRIDGE}')`);
    // The base shop has both apps; the release had no bridge to install with them. (This harness's
    // module list knows the bridges of this checkout, which the old install marked "to install"
    // without having them: a shop of that release has them uninstalled, as its list shows them.)
    psql(config, db, `UPDATE ir_module_module SET state = 'uninstalled' WHERE name IN ('${CRM_BRIDGE}', '${POS_BRIDGE}')`);
    expect(states()).toBe(`crm=installed point_of_sale=installed ${CRM_BRIDGE}=uninstalled ${POS_BRIDGE}=uninstalled`);
    runShell(previous, db, `
from odoo import fields
Report = env['tiktok.sidecar.report'].sudo()
Report.create({'replica': 'measured', 'last_seen': fields.Datetime.now(), 'latency_p95': 1234})
Report.create({'replica': 'never-measured', 'last_seen': fields.Datetime.now(), 'latency_p95': 0})
print('@@RESULT@@ok')
`);

    upgradeToThisCheckout(db);

    expect(states()).toBe(`crm=installed point_of_sale=installed ${CRM_BRIDGE}=installed ${POS_BRIDGE}=installed`);
    const shown = JSON.parse(
      runShell(config, db, `
import json
data = env['tiktok.sidecar.report'].tiktok_dashboard_data(days=7)
replicas = {entry['replica']: [entry['latency_ms'] and entry['latency_ms']['p95'], bool(entry['latency_measured_at'])]
            for entry in data['sidecar']['replicas']}
print('@@RESULT@@' + json.dumps({'replicas': replicas, 'bridges': data['bridges'],
                                  'sources': sorted(entry['source'] for entry in data['sources'])}))
`),
    ) as { replicas: Record<string, [number | null, boolean]>; bridges: unknown[]; sources: string[] };
    expect(shown.replicas).toEqual({ measured: [1234, true], 'never-measured': [null, false] });
    expect(shown.bridges).toEqual([]);
    expect(shown.sources).toEqual(['crm', 'offline']);
  }, 15 * 60_000);

  it('keeps the SubmitForm name a database effectively sent; chosen names stay as they were', async () => {
    const db = `tt_upgrade_names_${process.pid}`;
    const previous = await installRelease(CONTROL_ROOM_RELEASE, db);
    runShell(previous, db, `
env['ir.config_parameter'].sudo().set_param('website_tiktok_events.submit_form_event_name', False)
env['website'].browse(1).tiktok_submit_form_event_name = 'global'
chosen = env['website'].create({'name': 'Chose Lead', 'tiktok_submit_form_event_name': 'Lead',
                                'tiktok_purchase_event_name': 'CompletePayment'})
print('@@RESULT@@' + str(chosen.id))
`);

    upgradeToThisCheckout(db);

    const names = JSON.parse(
      runShell(config, db, `
import json
names = {website.name: website._tiktok_resolved_settings()['event_names'] for website in env['website'].search([])}
print('@@RESULT@@' + json.dumps(names))
`),
    ) as Record<string, { Purchase: string; SubmitForm: string }>;
    expect(psql(config, db, `SELECT value FROM ir_config_parameter WHERE key = 'website_tiktok_events.submit_form_event_name'`)).toBe('SubmitForm');
    const inheriting = Object.entries(names).filter(([name]) => name !== 'Chose Lead');
    expect(inheriting.length).toBeGreaterThanOrEqual(1);
    for (const [, eventNames] of inheriting) expect(eventNames).toEqual({ Purchase: 'Purchase', SubmitForm: 'SubmitForm' });
    expect(names['Chose Lead']).toEqual({ Purchase: 'CompletePayment', SubmitForm: 'Lead' });
  }, 15 * 60_000);

  it('keeps queued Purchases and checkouts in progress, never a back-office order; frozen POS sales; wide outbox ids', async () => {
    const db = `tt_upgrade_trust_${process.pid}`;
    const modules = [MODULE_NAME, POS_BRIDGE];
    const previous = await installRelease(SOURCES_RELEASE, db, modules);
    const before = JSON.parse(
      runShell(previous, db, `
import json, time
from odoo import fields
${pixelSetupPy('CUPGRADEPIXEL0000001')}
partner = env.ref('base.res_partner_2')
product = env['product.product'].search([('sale_ok', '=', True), ('available_in_pos', '=', True)], limit=1)
def order():
    return env['sale.order'].create({'partner_id': partner.id, 'website_id': website.id,
                                     'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1})]})
queued = order()
queued._tiktok_store_buyer_context('granted', ip='203.0.113.9')
queued.action_confirm()
backoffice_queued = order()
backoffice_queued.action_confirm()  # the hole this release closes: queued by the previous one
in_checkout = order()
in_checkout._tiktok_store_buyer_context('not_required')
backoffice_draft = order()
# A replica that reported, with a dead letter.
sidecar = env['res.users'].create({'name': 'sidecar', 'login': 'tt-upgrade-sidecar', 'group_ids': [(6, 0, [
    env.ref('base.group_portal').id, env.ref('website_tiktok_events.group_tiktok_sidecar').id])]})
now = int(time.time())
report = {'replica': 'replica-old', 'version': '0.1.0', 'mode': 'odoo', 'started_at': now - 600, 'seq': 3,
          'sent_at': now, 'outbox': {}, 'counters': [{'website_id': 1, 'event': 'AddToCart', 'accepted': 2}],
          'latency_ms': {}, 'lanes': [], 'match_keys': {}, 'test_events': [],
          'dead_letters': [{'id': 12, 'pixel_id': 'CUPGRADEPIXEL0000001', 'event': 'AddToCart', 'event_id': 'evt-12',
                            'event_time': now - 700, 'dead_at': now - 650, 'code': 40002, 'message': 'refused'}]}
env['tiktok.sidecar.report'].with_user(sidecar).tiktok_report(report)
# A paid Point of Sale sale, recorded by the bridge 19.0.1.0.0.
config = env['pos.config'].create({'name': 'Upgrade shop', 'company_id': website.company_id.id})
config.write({'tiktok_offline_event_set_id': '7400000000000000009', 'tiktok_website_id': website.id})
session = env['pos.session'].create({'config_id': config.id, 'user_id': env.uid})
customer = env['res.partner'].create({'name': 'POS buyer', 'email': 'pos.buyer@example.com'})
pos = env['pos.order'].create({'session_id': session.id, 'partner_id': customer.id, 'lines': [(0, 0, {
    'product_id': product.id, 'qty': 2, 'price_unit': 10.0, 'price_subtotal': 20.0, 'price_subtotal_incl': 20.0,
    'full_product_name': product.display_name})], 'amount_tax': 0.0, 'amount_total': 20.0, 'amount_paid': 0.0,
    'amount_return': 0.0})
pos.add_payment({'pos_order_id': pos.id, 'amount': 20.0, 'payment_date': fields.Datetime.now(),
                 'payment_method_id': config.payment_method_ids[:1].id})
pos.action_pos_order_paid()
print('@@RESULT@@' + json.dumps({'queued': queued.id, 'backoffice_queued': backoffice_queued.id,
    'in_checkout': in_checkout.id, 'backoffice_draft': backoffice_draft.id, 'pos': pos.id,
    'queue': sorted(env['tiktok.server.event'].search([]).sale_order_id.ids), 'report': report}))
`),
    ) as { queued: number; backoffice_queued: number; in_checkout: number; backoffice_draft: number; pos: number; queue: number[]; report: Record<string, unknown> };
    expect(before.queue).toEqual(expect.arrayContaining([before.queued, before.backoffice_queued]));

    upgradeToThisCheckout(db, modules);

    const after = JSON.parse(
      runShell(config, db, `
import json, time
from datetime import timedelta
orders = env['sale.order']
in_checkout, backoffice_draft = orders.browse(${before.in_checkout}), orders.browse(${before.backoffice_draft})
in_checkout.action_confirm()
backoffice_draft.action_confirm()
claimed = sorted(entry['order_id'] for entry in orders.tiktok_claim_purchases(limit=100, claimer='new-replica'))
origins = {str(c.sale_order_id.id): c.origin for c in env['tiktok.web.checkout'].search([])}
Report = env['tiktok.sidecar.report']
replica = Report.search([('replica', '=', 'replica-old')])
run_before = replica.run_id
report = ${JSON.stringify(before.report)}
# The same report again (its answer was lost): counted once, as before the upgrade.
Report.tiktok_report(dict(report, sent_at=int(time.time())))
accepted = env['tiktok.event.daily'].search([('event', '=', 'AddToCart')]).accepted
# A new run of a newer sidecar (the old one stopped for the upgrade), with an outbox id past 2^31.
replica.last_seen = replica.last_seen - timedelta(minutes=5)
big = dict(report, run_id='run-after-upgrade', seq=1, counters=[], dead_letters=[dict(report['dead_letters'][0], id=2 ** 31 + 9)])
Report.tiktok_report(big)
letters = sorted(int(letter.outbox_id) for letter in env['tiktok.dead.letter'].search([]))
sale = env['tiktok.pos.sale'].search([('order_id', '=', ${before.pos})])
pos = env['tiktok.source.event'].tiktok_claim_source_events(limit=10, claimer='new-replica')
print('@@RESULT@@' + json.dumps({'claimed': claimed, 'origins': origins, 'run_before': run_before, 'accepted': accepted,
    'letters': letters, 'sale': [sale.amount, sale.order_name, len(sale.lines)],
    'pos': [entry['properties']['value'] for entry in pos]}))
`),
    ) as { claimed: number[]; origins: Record<string, string>; run_before: string; accepted: number; letters: number[]; sale: [number, string, number]; pos: number[] };
    // Queued before the upgrade: sent as queued (the back-office one too: judged by the release that queued it).
    // In checkout before the upgrade: a web Purchase once confirmed. A back-office draft: never.
    expect(after.claimed).toEqual([before.queued, before.backoffice_queued, before.in_checkout].sort((a, b) => a - b));
    expect(after.origins[String(before.in_checkout)]).toBe('upgrade');
    expect(after.origins[String(before.backoffice_draft)]).toBeUndefined();
    expect(after.run_before).toBe(`started-${before.report.started_at as number}`);
    expect(after.accepted).toBe(2);
    expect(after.letters).toEqual([12, 2 ** 31 + 9]);
    expect(after.sale[0]).toBe(20);
    expect(after.sale[2]).toBe(1);
    expect(after.pos).toEqual([20]);
  }, 15 * 60_000);

  it('sends checkouts as they were at the upgrade, and leads of forms with the keys they had, never a back-office lead', async () => {
    const db = `tt_upgrade_origins_${process.pid}`;
    const modules = [MODULE_NAME, CRM_BRIDGE];
    const previous = await installRelease(CHECKOUT_RELEASE, db, modules);
    const before = JSON.parse(
      runShell(previous, db, `
${shopWithCrmEventSet('CUPGRADEPIXEL0000002', '7300000000000000007')}
order = env['sale.order'].create({'partner_id': env.ref('base.res_partner_2').id, 'website_id': website.id,
    'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1, 'price_unit': 100.0})]})
order._tiktok_store_buyer_context('not_required')  # its buyer reached the payment step (a wire transfer)
stage = env.ref('crm.stage_lead1')
def lead(email, **values):
    return env['crm.lead'].create({'name': email, 'email_from': email, 'stage_id': stage.id,
                                   'company_id': website.company_id.id, **values})
Origin = env['tiktok.crm.lead.origin']
form = lead('form@example.com')
Origin.create({'lead_id': form.id, 'website_id': website.id, 'ip': '203.0.113.5', 'ttclid': 'E.C.P.old'})
denied = lead('denied@example.com')
Origin.create({'lead_id': denied.id, 'website_id': website.id})  # consent refused: no context recorded
ads = lead('ads@example.com', tiktok_lead_id='7412345678901234567')
office = lead('office@example.com')
queued = env['tiktok.source.event'].search([('res_model', '=', 'crm.lead')])
print('@@RESULT@@' + json.dumps({'order': order.id, 'amount': order.amount_total, 'form': form.id,
    'denied': denied.id, 'ads': ads.id, 'office': office.id, 'queued': sorted(queued.mapped('res_id'))}))
`),
    ) as { order: number; amount: number; form: number; denied: number; ads: number; office: number; queued: number[] };
    // The previous release queued a Raw event for every lead, the back-office one too.
    expect(before.queued).toEqual([before.form, before.denied, before.ads, before.office].sort((a, b) => a - b));

    upgradeToThisCheckout(db, modules);

    const after = JSON.parse(
      runShell(config, db, `
import json
from odoo.addons.website_tiktok_events.tools.hashing import hash_email
order = env['sale.order'].browse(${before.order})
# A salesman edits the quotation after the upgrade, then confirms it in the back office.
order.order_line.write({'price_unit': 9999999.0})
order.action_confirm()
[purchase] = order.tiktok_claim_purchases(limit=10, claimer='replica-after')
leads = env['crm.lead'].browse([${before.form}, ${before.denied}, ${before.ads}, ${before.office}])
leads[0].email_from = 'victim@example.com'  # typed by a salesman after the upgrade
claimed = env['tiktok.source.event'].tiktok_claim_source_events(limit=50, claimer='replica-after')
rows = env['tiktok.source.event'].search([('res_model', '=', 'crm.lead')])
print('@@RESULT@@' + json.dumps({
    'value': purchase['value'],
    'sent': {str(entry['user'].get('email')): entry.get('lead', {}).get('lead_id') for entry in claimed},
    'skipped': {str(row.res_id): row.skip_reason for row in rows if row.state == 'skipped'},
    'hashes': {email: hash_email(email) for email in ('form@example.com', 'ads@example.com', 'victim@example.com')},
}))
`),
    ) as { value: number; sent: Record<string, string | null>; skipped: Record<string, string>; hashes: Record<string, string> };
    expect(after.value).toBe(before.amount);
    expect(after.sent).toEqual({
      [after.hashes['form@example.com']]: null,
      [after.hashes['ads@example.com']]: '7412345678901234567',
    });
    expect(after.skipped).toEqual({ [String(before.denied)]: 'no_consent', [String(before.office)]: 'not_from_tiktok' });
  }, 15 * 60_000);

  it('keeps claims in flight across the queues\' move to one mixin: same columns and indexes, leases and claimers kept', async () => {
    const db = `tt_upgrade_queues_${process.pid}`;
    const modules = [MODULE_NAME, CRM_BRIDGE];
    const previous = await installRelease(SEPARATE_QUEUES_RELEASE, db, modules);
    const schema = () => psql(config, db, `
      SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
        SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS x
          FROM information_schema.columns WHERE table_name IN ('tiktok_server_event', 'tiktok_source_event')
        UNION ALL
        SELECT 'index ' || indexdef FROM pg_indexes WHERE tablename IN ('tiktok_server_event', 'tiktok_source_event')
      ) AS shape`);
    const before = JSON.parse(
      runShell(previous, db, `
${shopWithCrmEventSet('CUPGRADEPIXEL0000003', '7300000000000000008')}
def web_order():
    order = env['sale.order'].create({'partner_id': env.ref('base.res_partner_2').id, 'website_id': website.id,
        'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1})]})
    order._tiktok_store_buyer_context('not_required')
    order.action_confirm()
    return order
claimed, waiting = web_order(), web_order()
[entry] = env['sale.order'].tiktok_claim_purchases(limit=1, lease_seconds=3600, claimer='replica-old')
lead = env['crm.lead'].create({'name': 'ads', 'email_from': 'ads@example.com', 'tiktok_lead_id': '7412345678901234568',
                               'stage_id': env.ref('crm.stage_lead1').id, 'company_id': website.company_id.id})
[source] = env['tiktok.source.event'].tiktok_claim_source_events(limit=10, lease_seconds=3600, claimer='replica-old')
rows = env['tiktok.server.event'].search([('sale_order_id', 'in', [claimed.id, waiting.id])])
print('@@RESULT@@' + json.dumps({'claimed': claimed.id, 'waiting': waiting.id, 'entry': entry['order_id'],
    'source': source['event_id'], 'leases': {str(row.sale_order_id.id): str(row.lease_until) for row in rows}}))
`),
    ) as { claimed: number; waiting: number; entry: number; source: string; leases: Record<string, string> };
    expect(before.entry).toBe(before.claimed);
    const shapeBefore = schema();
    expect(shapeBefore).toContain('tiktok_server_event_due_index');
    expect(shapeBefore).toContain('tiktok_source_event_due_index');

    upgradeToThisCheckout(db, modules);

    expect(schema()).toBe(shapeBefore);
    const after = JSON.parse(
      runShell(config, db, `
import json
orders, sources = env['sale.order'], env['tiktok.source.event']
# Another replica finds only what nobody holds: the claimed rows stay leased to their replica.
taken = [entry['order_id'] for entry in orders.tiktok_claim_purchases(limit=10, claimer='replica-new')]
taken_sources = sources.tiktok_claim_source_events(limit=10, claimer='replica-new')
rows = env['tiktok.server.event'].search([('sale_order_id', 'in', [${before.claimed}, ${before.waiting}])])
leases = {str(row.sale_order_id.id): str(row.lease_until) for row in rows if row.claimed_by == 'replica-old'}
settled = {
    'purchase_by_other': orders.tiktok_mark_purchases([${before.claimed}], 'sent', claimer='replica-new'),
    'purchase': orders.tiktok_mark_purchases([${before.claimed}], 'sent', claimer='replica-old'),
    'source': sources.tiktok_mark_source_events(['${before.source}'], 'sent', claimer='replica-old'),
}
print('@@RESULT@@' + json.dumps({'taken': taken, 'taken_sources': len(taken_sources), 'leases': leases,
    'settled': settled, 'states': sorted(rows.mapped('state')),
    'source_state': sources.search([('event_id', '=', '${before.source}')]).state,
    'mixin': bool(env['ir.model']._get_id('tiktok.claim.queue'))}))
`),
    ) as { taken: number[]; taken_sources: number; leases: Record<string, string>; settled: Record<string, number>; states: string[]; source_state: string; mixin: boolean };
    expect(after.taken).toEqual([before.waiting]);
    expect(after.taken_sources).toBe(0);
    expect(after.leases).toEqual({ [String(before.claimed)]: before.leases[String(before.claimed)] });
    expect(after.settled).toEqual({ purchase_by_other: 0, purchase: 1, source: 1 });
    expect(after.states).toEqual(['claimed', 'sent']);
    expect(after.source_state).toBe('sent');
    expect(after.mixin).toBe(true);
  }, 15 * 60_000);
  it('keeps the days counted before (the new counts at 0), ignores GPC as before until chosen, and old orders have no signal', async () => {
    const db = `tt_upgrade_gpc_${process.pid}`;
    const previous = await installRelease(BEFORE_GPC_RELEASE, db);
    const before = JSON.parse(
      runShell(previous, db, `
import json
from odoo import fields
${pixelSetupPy('CUPGRADEPIXEL0000009')}
product = env['product.product'].search([('sale_ok', '=', True)], limit=1)
env['tiktok.event.daily'].sudo().create({'day': fields.Date.today(), 'website_id': website.id, 'event': 'Search',
                                         'accepted': 6, 'delivered': 5})
order = env['sale.order'].create({'partner_id': env.ref('base.res_partner_2').id, 'website_id': website.id,
    'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1})]})
order._tiktok_store_buyer_context('not_required')
order.action_confirm()
print('@@RESULT@@' + json.dumps({'order': order.id}))
`),
    ) as { order: number };

    upgradeToThisCheckout(db);

    const after = JSON.parse(
      runShell(config, db, `
import json
website = env['website'].browse(1)
data = env['tiktok.sidecar.report'].tiktok_dashboard_data(days=7, website_id=1)
saved = {row['event']: row for row in data['server_saved']['rows']}
[entry] = env['sale.order'].tiktok_claim_purchases(limit=1, claimer='replica-new')
print('@@RESULT@@' + json.dumps({
    'search': saved['Search'], 'policy': website._tiktok_resolved_settings()['gpc'],
    'sidecar': website._tiktok_sidecar_entry()['gpc'],
    'order_gpc': env['sale.order'].browse(${before.order}).tiktok_gpc, 'claimed': entry,
}))
`),
    ) as { search: Record<string, unknown>; policy: string; sidecar: string; order_gpc: boolean; claimed: Record<string, unknown> };
    expect(after.search).toEqual({ event: 'Search', browser_and_server: 0, server_only_blocked: 0, server_only_withheld: 0, not_said: 6, match_estimate: 0 });
    expect([after.policy, after.sidecar]).toEqual(['ignore', 'ignore']);
    expect(after.order_gpc).toBe(false);
    expect(after.claimed.order_id).toBe(before.order);
    expect(after.claimed).not.toHaveProperty('gpc');
    // a new report adds the new counts to the day counted before
    runShell(config, db, `
import time
env['tiktok.sidecar.report'].tiktok_report({'replica': 'r-up', 'version': '0.2.0', 'mode': 'odoo', 'started_at': int(time.time()) - 60,
    'run_id': 'run-upgrade-gpc-1', 'seq': 1, 'sent_at': int(time.time()), 'poll_interval_seconds': 5,
    'outbox': {'pending': 0, 'in_flight': 0, 'delivered': 1, 'dead': 0},
    'counters': [{'website_id': 1, 'event': 'Search', 'accepted': 1, 'delivered': 0, 'retried': 0, 'dead': 0, 'pixel_blocked': 1}],
    'latency_ms': {'p50': 0, 'p95': 0, 'max': 0}, 'lanes': [], 'match_keys': {}, 'dead_letters': [], 'test_events': []})
print('@@RESULT@@null')
`);
    const counted = JSON.parse(runShell(config, db, `
import json
row = env['tiktok.event.daily'].search([('event', '=', 'Search'), ('website_id', '=', 1)])
print('@@RESULT@@' + json.dumps([row.accepted, row.delivered, row.pixel_blocked, row.with_email]))
`)) as number[];
    expect(counted).toEqual([7, 5, 1, 0]);
  }, 15 * 60_000);
});
