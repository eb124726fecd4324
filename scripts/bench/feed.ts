/**
 * Catalog feed benchmark: the TikTok catalog feed of a shop with 100,000
 * published products on real Odoo 19 — written by its cron (run by Odoo's own
 * cron runner, run after run, each inside the cron time limit), then served
 * from its file; the writer's wall time, its longest run and its peak
 * resident memory, beside the same figures for a catalog ten times smaller
 * (memory flat: a batch in memory, never the catalog). Writes its figures to
 * docs/BENCHMARKS.md.
 *
 *   npm run bench:feed                       # 100,000 products (and 10,000)
 *   BENCH_FEED_PRODUCTS=20000 npm run bench:feed
 *
 * The products are created once, in a database kept between runs
 * (tt_bench_feed_<count>), outside any test's timeout: the first
 * BENCH_FEED_SEED through the ORM, the rest as SQL copies of one of them
 * (the same columns, taxes and published state; their own name, reference,
 * description and price).
 */
import os from 'node:os';
import path from 'node:path';
import {
  cloneDatabase, databaseExists, dropDatabase, loadConfig, MODULE_NAME, odooUnavailableReason, psql,
  runOdoo, startOdoo, stopOdoo,
} from '../odooDev';
import { runShell } from '../../tests/helpers/odooShop';
import { freePort } from '../../tests/helpers/process';
import { machineLine, writeSection } from './report';

const PRODUCTS = Number(process.env.BENCH_FEED_PRODUCTS) || 100_000;
const COMPARED = Number(process.env.BENCH_FEED_COMPARE) || Math.round(PRODUCTS / 10);
const SEED = Math.min(Number(process.env.BENCH_FEED_SEED) || 1000, PRODUCTS);
const BATCH = 1000;
const CRON_XMLID = 'ir_cron_tiktok_catalog_feeds';

interface WriterFigures {
  runs: number;
  seconds: number;
  cpuSeconds: number;
  longestRun: number;
  /** Rows of every feed written: one per website and currency of its pricelists (the bench products are on all websites). */
  rows: number;
  feeds: number;
  rssBeforeMb: number;
  peakRssMb: number;
}

interface Figures extends WriterFigures {
  products: number;
  db: string;
  neverWrittenStatus: number;
  retryAfter: string | null;
  servedSeconds: number;
  servedAgainSeconds: number;
  bytes: number;
}

/** The bench database with `count` published products of the bench, created once. */
async function ensureProducts(db: string, count: number): Promise<void> {
  const config = loadConfig();
  if (!databaseExists(db, config)) await cloneDatabase(db, config);
  const countMade = () => Number(psql(config, db, "SELECT count(*) FROM product_product WHERE default_code LIKE 'BENCH-%'"));
  let made = countMade();
  if (made >= count) return;
  const started = Date.now();
  console.log(`bench:feed: creating ${count - made} products in ${db} (once)`);
  if (made < SEED) {
    runShell(config, db, `
Template = env['product.template'].with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
for start in range(${made}, ${SEED}, ${BATCH}):
    Template.create([{
        'name': 'Bench product %d, "size" %d' % (n, n % 7), 'default_code': 'BENCH-%06d' % n,
        'list_price': 1 + (n % 997) / 10, 'is_published': True, 'sale_ok': True, 'type': 'consu',
        'description_sale': 'Bench product %d\\nfor the catalog feed' % n,
    } for n in range(start, min(start + ${BATCH}, ${SEED}))])
    env.cr.commit()
    env.invalidate_all()
`);
    made = countMade();
  }
  if (made < count) copyProducts(db, made, count);
  console.log(`bench:feed: created in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Products made..count-1 as SQL copies of BENCH-000001 (every column but their own values). */
function copyProducts(db: string, made: number, count: number): void {
  const config = loadConfig();
  const columns = (table: string, own: string[]) => psql(config, db,
    `SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns ` +
    `WHERE table_name = '${table}' AND column_name NOT IN (${own.map((c) => `'${c}'`).join(',')})`).split(',');
  const templateOwn = ['id', 'name', 'description_sale', 'list_price', 'default_code', 'create_date', 'write_date'];
  const productOwn = ['id', 'product_tmpl_id', 'default_code', 'create_date', 'write_date'];
  const templateColumns = columns('product_template', templateOwn);
  const productColumns = columns('product_product', productOwn);
  const seed = `(SELECT product_tmpl_id FROM product_product WHERE default_code = 'BENCH-000001')`;
  const copies = `nt.default_code LIKE 'BENCH-%' AND nt.default_code >= 'BENCH-${String(made).padStart(6, '0')}'`;
  psql(config, db, `
BEGIN;
INSERT INTO product_template (${templateColumns.join(',')}, ${templateOwn.slice(1).join(',')})
SELECT ${templateColumns.map((c) => `t.${c}`).join(',')},
  jsonb_build_object('en_US', format('Bench product %s, "size" %s', n, n % 7)),
  jsonb_build_object('en_US', format(E'Bench product %s\\nfor the catalog feed', n)),
  1 + (n % 997) / 10.0, 'BENCH-' || lpad(n::text, 6, '0'), now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'
FROM product_template t, generate_series(${made}, ${count - 1}) n WHERE t.id = ${seed};
INSERT INTO product_product (${productColumns.join(',')}, ${productOwn.slice(1).join(',')})
SELECT ${productColumns.map((c) => `p.${c}`).join(',')}, nt.id, nt.default_code, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'
FROM product_product p, product_template nt WHERE p.default_code = 'BENCH-000001' AND ${copies};
INSERT INTO product_taxes_rel (prod_id, tax_id)
SELECT nt.id, r.tax_id FROM product_taxes_rel r, product_template nt WHERE r.prod_id = ${seed} AND ${copies};
COMMIT;`);
}

/** The module as this checkout has it (its cron among its data), installed in the bench database. */
function ensureModuleUpToDate(db: string): void {
  const config = loadConfig();
  const cron = psql(config, db,
    `SELECT count(*) FROM ir_model_data WHERE module = '${MODULE_NAME}' AND name = '${CRON_XMLID}'`);
  if (cron === '1') return;
  const log = path.join(os.tmpdir(), `bench-feed-update-${db}.log`);
  const status = runOdoo(config, ['-d', db, '-u', MODULE_NAME, '--stop-after-init', '--no-http'], log);
  if (status !== 0) throw new Error(`updating ${MODULE_NAME} in ${db} failed, see ${log}`);
}

/**
 * Every run of the feed cron until the feed is written, through Odoo's own
 * cron runner (the job acquired, run, rescheduled as a cron worker does), in
 * one process whose peak memory is the writer's.
 */
function writeWithTheCron(db: string): WriterFigures {
  const config = loadConfig();
  const out = runShell(config, db, `
import json, os, resource, time
from odoo.addons.base.models.ir_cron import IrCron
from odoo.addons.${MODULE_NAME}.tools.catalog_feed import PART_SUFFIX
from odoo.tools import config
cron = env.ref('${MODULE_NAME}.${CRON_XMLID}')
website = env['website'].browse(1)
currency = next(iter(website._tiktok_catalog_pricelists()))
folder = website._tiktok_catalog_folder()
for name in os.listdir(folder):  # a cold start: no feed written yet
    os.remove(os.path.join(folder, name))
env.cr.commit()
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
runs, started, cpu_started = [], time.monotonic(), time.process_time()
while True:
    env.cr.execute("UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'utc' WHERE id = %s", [cron.id])
    env.cr.commit()
    run_started = time.monotonic()
    with env.registry.cursor() as cron_cr:
        IrCron._process_jobs_loop(cron_cr, job_ids=[cron.id])
    runs.append(time.monotonic() - run_started)
    names = os.listdir(folder)
    if website._tiktok_catalog_written(currency) and not any(name.endswith(PART_SUFFIX) for name in names):
        break
    if len(runs) > 500:
        raise RuntimeError('the feed cron made no end')
seconds, cpu_seconds = time.monotonic() - started, time.process_time() - cpu_started
rows = 0
feeds = [shop._tiktok_catalog_written(name) for shop in env['website'].search([])
         for name in shop._tiktok_catalog_pricelists()]
for path, _fingerprint in feeds:  # one feed per website and currency of its pricelists
    with open(path, encoding='utf-8') as feed:
        rows += sum(1 for _line in feed) - 1
print('@@RESULT@@', json.dumps({
    'runs': len(runs), 'seconds': seconds, 'cpuSeconds': cpu_seconds, 'longestRun': max(runs), 'rows': rows,
    'feeds': len(feeds), 'rssBeforeMb': rss_before,
    'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
`);
  return JSON.parse(out) as WriterFigures;
}

async function timedFetch(url: string): Promise<{ seconds: number; status: number; bytes: number; retryAfter: string | null }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { seconds: (performance.now() - t0) / 1000, status: res.status, bytes: body.length, retryAfter: res.headers.get('retry-after') };
}

async function measure(products: number): Promise<Figures> {
  const config = loadConfig();
  const db = `tt_bench_feed_${products}`;
  await ensureProducts(db, products);
  ensureModuleUpToDate(db);
  const feedPath = runShell(config, db, `
import os
website = env['website'].browse(1)
currency = next(iter(website._tiktok_catalog_pricelists()))
folder = website._tiktok_catalog_folder()
for name in os.listdir(folder):
    os.remove(os.path.join(folder, name))
print('@@RESULT@@', website._tiktok_catalog_path(currency))
`);
  let odoo = await startOdoo(db, await freePort(), config);
  let neverWritten;
  try {
    await (await fetch(`${odoo.url}/shop`)).text(); // a warm server: registry and routes loaded
    neverWritten = await timedFetch(`${odoo.url}${feedPath}`);
  } finally {
    await stopOdoo(odoo.port, config);
  }
  console.log(`bench:feed: ${products} products: never written -> ${neverWritten.status}; the cron writes...`);
  const writer = writeWithTheCron(db);
  odoo = await startOdoo(db, await freePort(), config);
  try {
    await (await fetch(`${odoo.url}/shop`)).text();
    const served = await timedFetch(`${odoo.url}${feedPath}`);
    const servedAgain = await timedFetch(`${odoo.url}${feedPath}`);
    if (served.status !== 200 || servedAgain.status !== 200) throw new Error(`${feedPath} answered ${served.status}`);
    const figures = {
      ...writer, products, db, neverWrittenStatus: neverWritten.status, retryAfter: neverWritten.retryAfter,
      servedSeconds: served.seconds, servedAgainSeconds: servedAgain.seconds, bytes: served.bytes,
    };
    console.log(figures);
    return figures;
  } finally {
    await stopOdoo(odoo.port, config);
  }
}

function report(large: Figures, small: Figures): string {
  const both = (cell: (figures: Figures) => string) => `${cell(large)} | ${cell(small)}`;
  const n = (value: number) => value.toLocaleString('en');
  return `## Catalog feed (\`npm run bench:feed\`)

Command: \`BENCH_FEED_PRODUCTS=${large.products} npm run bench:feed\` (published products created once in \`${large.db}\` and \`${small.db}\`: ${SEED} through the ORM, the rest SQL copies)
Machine: ${machineLine()}; load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')} at the end (a shared machine)
Date: ${new Date().toISOString().slice(0, 10)}

| figure | ${n(large.products)} products | ${n(small.products)} products |
|---|---|---|
| feeds written (one per website and currency) / rows in all / size of one | ${both((f) => `${f.feeds} / ${n(f.rows)} / ${(f.bytes / 2 ** 20).toFixed(1)} MiB`)} |
| a fetch before the first feed is written | ${both((f) => `${f.neverWrittenStatus}, Retry-After ${f.retryAfter}`)} |
| all feeds written by the cron (Odoo's cron runner, run after run) | ${both((f) => `${f.seconds.toFixed(1)} s in ${f.runs} runs (${Math.round(f.rows / f.seconds)} rows/s)`)} |
| the writer's CPU (Odoo's process; PostgreSQL apart) | ${both((f) => `${f.cpuSeconds.toFixed(1)} s (${Math.round(f.rows / f.cpuSeconds)} rows per CPU second)`)} |
| longest cron run (the limit: half of --limit-time-real-cron, 60 s of 120 s by default) | ${both((f) => `${f.longestRun.toFixed(1)} s`)} |
| writer's peak resident memory (registry loaded / at the end) | ${both((f) => `${f.rssBeforeMb.toFixed(0)} / ${f.peakRssMb.toFixed(0)} MiB (+${(f.peakRssMb - f.rssBeforeMb).toFixed(0)} MiB)`)} |
| download, served from the written file (then again) | ${both((f) => `${f.servedSeconds.toFixed(2)} s (${f.servedAgainSeconds.toFixed(2)} s)`)} |

The cron writes ${large.products > SEED ? 'the feed' : 'it'} 500 products per batch, each batch's records forgotten before the next, to a part file whose progress is saved after every batch; a run stops after its first batch past half of Odoo's cron time limit and asks for the next run at once. The feed URL serves the newest written file and never writes a catalog of more than 2,000 products itself.

Before the cron (the feed written by the request that fetched it): 35,039 products in 152.7 s (229 products/s), past Odoo's 120 s request limit. Reading each batch's pricelist rules with one search instead of one per product: 2.1× less CPU on 2,000 products (same bytes).
`;
}

async function main(): Promise<void> {
  const unavailable = odooUnavailableReason();
  if (unavailable) {
    console.log(`bench:feed: skipped, ${unavailable}`);
    return;
  }
  const small = await measure(COMPARED);
  const large = await measure(PRODUCTS);
  const md = report(large, small);
  writeSection('bench:feed', md);
  console.log(md);
  if (process.env.BENCH_FEED_DROP) {
    for (const figures of [large, small]) dropDatabase(figures.db, loadConfig());
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
