/**
 * Purchase poll benchmark against a real Odoo 19: the cost of one poll with 100 and
 * with 100,000 historical orders and payment transactions (it must not grow with
 * history), and the latency from post-processing to the Purchase reaching the
 * (fake) Events API. Writes its figures to docs/BENCHMARKS.md.
 *
 *   npm run bench:poll
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { odooUnavailableReason } from '../odooDev';
import { connectOdoo } from '../../sidecar/src/odoo/connect';
import { startFakeEventsApi } from '../../tests/support/fakeEventsApi';
import { sidecarEnvFor, startShop, type OdooShop } from '../../tests/helpers/odooShop';
import { exited, freePort, spawnSidecar, waitForHttp } from '../../tests/helpers/process';
import { machineLine, percentile, writeSection } from './report';

const PIXEL = 'CBENCHPOLLPIXEL00001';
const TOKEN = 'bench-poll-token-0001';
const POLL_SECONDS = 2;

/** Copy the newest confirmed order (its transaction and its sent Purchase) `count` times as history. */
function addHistory(shop: OdooShop, count: number): void {
  shop.psql(`
    WITH copies AS (
      INSERT INTO sale_order
      SELECT (jsonb_populate_record(NULL::sale_order, to_jsonb(so) || jsonb_build_object(
        'id', nextval('sale_order_id_seq'), 'name', 'HIST-' || g, 'access_token', md5(g::text || random()::text)))).*
      FROM sale_order so, generate_series(1, ${count}) g
      WHERE so.id = (SELECT max(id) FROM sale_order WHERE state = 'sale')
      RETURNING id, website_id, date_order)
    INSERT INTO tiktok_server_event (sale_order_id, website_id, event_id, state, queued_at)
    SELECT id, website_id, 'hist-' || id, 'sent', date_order FROM copies;
    INSERT INTO payment_transaction
    SELECT (jsonb_populate_record(NULL::payment_transaction, to_jsonb(tx) || jsonb_build_object(
      'id', nextval('payment_transaction_id_seq'), 'reference', 'HIST-TX-' || g || '-' || tx.id, 'is_post_processed', true))).*
    FROM payment_transaction tx, generate_series(1, ${count}) g
    WHERE tx.id = (SELECT max(id) FROM payment_transaction);
    ANALYZE sale_order; ANALYZE payment_transaction; ANALYZE tiktok_server_event;`);
}

interface PollCost {
  orders: number;
  transactions: number;
  planRows: string;
  buffers: number;
  executionMs: number;
  rpcP50Ms: number;
  rpcP95Ms: number;
}

async function measurePoll(shop: OdooShop): Promise<PollCost> {
  const orders = Number(shop.psql('SELECT count(*) FROM sale_order'));
  const transactions = Number(shop.psql('SELECT count(*) FROM payment_transaction'));
  // The claim query of sale.order.tiktok_claim_purchases(), as the module runs it.
  const plan = shop.psql(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
    SELECT id FROM tiktok_server_event
     WHERE state IN ('pending', 'claimed')
       AND (state = 'pending' OR lease_until IS NULL OR lease_until < now() at time zone 'utc')
     ORDER BY queued_at, id LIMIT 50 FOR UPDATE SKIP LOCKED`);
  const top = JSON.parse(plan)[0];
  const nodeTypes: string[] = [];
  const walk = (node: { 'Node Type': string; 'Index Name'?: string; Plans?: unknown[] }) => {
    nodeTypes.push(node['Index Name'] ? `${node['Node Type']} (${node['Index Name']})` : node['Node Type']);
    (node.Plans ?? []).forEach((child) => walk(child as typeof node));
  };
  walk(top.Plan);
  const buffers = (top.Plan['Shared Hit Blocks'] ?? 0) + (top.Plan['Shared Read Blocks'] ?? 0);
  const odoo = await connectOdoo({ url: shop.odoo.url, db: shop.db, login: shop.sidecarLogin, apiKey: shop.sidecarApiKey, transport: 'json2' });
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    await odoo.call('sale.order', 'tiktok_claim_purchases', { kwargs: { limit: 50, lease_seconds: 600, claimer: 'bench' } });
    times.push(performance.now() - t0);
  }
  odoo.close();
  return {
    orders,
    transactions,
    planRows: nodeTypes.join(' → '),
    buffers,
    executionMs: top['Execution Time'],
    rpcP50Ms: Math.round(percentile(times, 50) * 10) / 10,
    rpcP95Ms: Math.round(percentile(times, 95) * 10) / 10,
  };
}

/** Paid orders post-processed one by one at random gaps; returns when each was committed (ms). */
async function paidOrdersOverTime(shop: OdooShop, count: number): Promise<{ id: number; eventId: string; committedAt: number }[]> {
  const out = await shop.shellAsync(`
import json, random, time
website = env['website'].browse(1)
partner = env.ref('base.partner_demo_portal')
product = env['product.product'].search([('sale_ok', '=', True), ('is_published', '=', True), ('type', '=', 'consu')], limit=1)
provider = env['payment.provider'].sudo().search([('code', '=', 'demo')], limit=1)
provider.state = 'test'
result = []
for i in range(${count}):
    order = env['sale.order'].sudo().create({'partner_id': partner.id, 'website_id': website.id, 'order_line': [(0, 0, {'product_id': product.id, 'product_uom_qty': 1})]})
    order._tiktok_store_buyer_context('granted', ip='203.0.113.9', user_agent='Mozilla/5.0 Chrome/131.0')
    tx = env['payment.transaction'].sudo().create({'provider_id': provider.id, 'payment_method_id': provider.payment_method_ids[:1].id, 'amount': order.amount_total, 'currency_id': order.currency_id.id, 'partner_id': partner.id, 'sale_order_ids': [(6, 0, [order.id])]})
    tx._set_done()
    tx._post_process()
    env.cr.commit()
    result.append({'id': order.id, 'eventId': order._tiktok_purchase_event_id(), 'committedAt': time.time() * 1000})
    time.sleep(random.uniform(0.2, ${POLL_SECONDS}.0))
print('@@RESULT@@' + json.dumps(result))
`);
  return JSON.parse(out) as { id: number; eventId: string; committedAt: number }[];
}

async function main(): Promise<void> {
  const unavailable = odooUnavailableReason();
  if (unavailable) {
    console.log(`bench:poll skipped: ${unavailable}`);
    return;
  }
  const api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN } });
  const shop = await startShop('tt_bench_poll', { pixelId: PIXEL, token: TOKEN });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-poll-'));
  try {
    // One real paid order, already sent, is the model the history is copied from.
    const [model] = await paidOrdersOverTime(shop, 1);
    shop.psql(`UPDATE tiktok_server_event SET state = 'sent' WHERE sale_order_id = ${model.id}`);
    const baseOrders = Number(shop.psql('SELECT count(*) FROM sale_order'));
    addHistory(shop, Math.max(0, 100 - baseOrders));
    const small = await measurePoll(shop);
    addHistory(shop, 100_000 - small.orders);
    const large = await measurePoll(shop);

    const port = await freePort();
    const sidecarLog: string[] = [];
    const child = spawnSidecar(
      sidecarEnvFor(shop, { port, outboxPath: path.join(dir, 'outbox.sqlite'), eventsApiUrl: api.baseUrl, pollSeconds: POLL_SECONDS }),
      sidecarLog,
      { compiled: true },
    );
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    const placed = await paidOrdersOverTime(shop, 20);
    const deadline = Date.now() + 60_000;
    const arrival = (eventId: string) => api.delivered.find((d) => d.row.event_id === eventId)?.receivedAt;
    while (placed.some((o) => arrival(o.eventId) === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await exited(child);
    fs.writeFileSync(path.join(os.tmpdir(), 'bench-poll-sidecar.log'), sidecarLog.join(''));
    const latencies = placed.map((o) => (arrival(o.eventId) ?? NaN) - o.committedAt);
    const p50 = percentile(latencies, 50) / 1000;
    const p95 = percentile(latencies, 95) / 1000;
    const bar = POLL_SECONDS + 2;

    const row = (c: PollCost) => `| ${c.orders.toLocaleString('en')} | ${c.transactions.toLocaleString('en')} | ${c.planRows} | ${c.buffers} | ${c.executionMs.toFixed(3)} ms | ${c.rpcP50Ms} ms / ${c.rpcP95Ms} ms |`;
    const md = `## Purchase poll (\`npm run bench:poll\`)

Command: \`npm run bench:poll\`
Machine: ${machineLine()}
Date: ${new Date().toISOString().slice(0, 10)}
Setup: real Odoo 19 (PostgreSQL 15, one HTTP worker) with the module; history = confirmed orders already sent and their post-processed transactions, copied in SQL; the claim runs as the least-privilege sidecar user over JSON-2.

| sale orders | payment transactions | claim query plan | shared buffers touched | query execution | claim RPC p50 / p95 (40 calls) |
|---|---|---|---|---|---|
${row(small)}
${row(large)}

The claim reads the partial index of due orders only, so its cost stays flat as history grows (buffers ${small.buffers} → ${large.buffers}).

Purchase latency, from the commit of post-processing to the Purchase at the Events API (20 orders at random gaps, poll interval ${POLL_SECONDS} s):

| p50 | p95 | bar (poll interval + 2 s) | |
|---|---|---|---|
| ${p50.toFixed(2)} s | ${p95.toFixed(2)} s | ${bar} s | ${p95 <= bar ? 'pass' : '**FAIL**'} |
`;
    writeSection('bench:poll', md);
    console.log(md);
  } finally {
    await shop.stop();
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
