/**
 * Catalog feed benchmark: the TikTok catalog feed of a shop with 100,000
 * published products on real Odoo 19 — the download's wall time (written,
 * then served from its cache) and the Odoo server's resident memory before
 * and at its peak. Writes its figures to docs/BENCHMARKS.md.
 *
 *   npm run bench:feed                       # 100,000 products
 *   BENCH_FEED_PRODUCTS=10000 npm run bench:feed
 *
 * The products are created once, in a database kept between runs
 * (tt_bench_feed_<count>), outside any test's timeout.
 */
import { cloneDatabase, databaseExists, dropDatabase, loadConfig, odooUnavailableReason, startOdoo, stopOdoo } from '../odooDev';
import { runShell } from '../../tests/helpers/odooShop';
import { freePort } from '../../tests/helpers/process';
import { machineLine, peakRssMb, writeSection } from './report';

const PRODUCTS = Number(process.env.BENCH_FEED_PRODUCTS) || 100_000;
const BATCH = 1000;

function residentMb(pid: number): number {
  const status = require('node:fs').readFileSync(`/proc/${pid}/status`, 'utf8') as string;
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** The bench database with PRODUCTS published products of the bench, created once. */
async function ensureProducts(db: string): Promise<void> {
  const config = loadConfig();
  if (!databaseExists(db, config)) await cloneDatabase(db, config);
  const made = Number(runShell(config, db, `print('@@RESULT@@', env['product.template'].search_count([('default_code', '=like', 'BENCH-%')]))`));
  if (made >= PRODUCTS) return;
  console.log(`bench:feed: creating ${PRODUCTS - made} products in ${db} (once)`);
  const started = Date.now();
  runShell(config, db, `
Template = env['product.template'].with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
for start in range(${made}, ${PRODUCTS}, ${BATCH}):
    Template.create([{
        'name': 'Bench product %d, "size" %d' % (n, n % 7), 'default_code': 'BENCH-%06d' % n,
        'list_price': 1 + (n % 997) / 10, 'is_published': True, 'sale_ok': True, 'type': 'consu',
        'description_sale': 'Bench product %d\\nfor the catalog feed' % n,
    } for n in range(start, min(start + ${BATCH}, ${PRODUCTS}))])
    env.cr.commit()
    env.invalidate_all()
`);
  console.log(`bench:feed: created in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function timedFetch(url: string): Promise<{ seconds: number; bytes: number; rows: number }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return { seconds: (performance.now() - t0) / 1000, bytes: Buffer.byteLength(text), rows: text.split('\r\n').length - 2 };
}

async function main(): Promise<void> {
  const unavailable = odooUnavailableReason();
  if (unavailable) {
    console.log(`bench:feed: skipped, ${unavailable}`);
    return;
  }
  const config = loadConfig();
  const db = `tt_bench_feed_${PRODUCTS}`;
  await ensureProducts(db);
  const feedPath = runShell(config, db, `
website = env['website'].browse(1)
print('@@RESULT@@', website._tiktok_catalog_path(next(iter(website._tiktok_catalog_pricelists()))))
`);
  const odoo = await startOdoo(db, await freePort(), config);
  try {
    await (await fetch(`${odoo.url}/shop`)).text(); // a warm server: registry and routes loaded
    const before = residentMb(odoo.pid);
    const peakBefore = peakRssMb(odoo.pid) ?? 0;
    const written = await timedFetch(`${odoo.url}${feedPath}`);
    const cached = await timedFetch(`${odoo.url}${feedPath}`);
    const peak = peakRssMb(odoo.pid) ?? 0;
    const md = `## Catalog feed (\`npm run bench:feed\`)

Command: \`npm run bench:feed\` (${PRODUCTS.toLocaleString('en')} published products, created once in \`${db}\`)
Machine: ${machineLine()}
Date: ${new Date().toISOString().slice(0, 10)}

| figure | measured |
|---|---|
| feed rows | ${written.rows.toLocaleString('en')} |
| feed size | ${(written.bytes / 2 ** 20).toFixed(1)} MiB |
| download, feed written (priced by website_sale, 500 products per batch) | ${written.seconds.toFixed(1)} s (${Math.round(written.rows / written.seconds)} products/s) |
| download, feed served from its cache | ${cached.seconds.toFixed(2)} s |
| Odoo server resident memory before the first download | ${before.toFixed(0)} MiB (peak so far ${peakBefore.toFixed(0)} MiB) |
| Odoo server peak resident memory after both downloads | ${peak.toFixed(0)} MiB (+${(peak - Math.max(before, peakBefore)).toFixed(0)} MiB) |

One Odoo server (threaded, no workers), a warm registry (one GET /shop first), one download at a time. The feed is written batch by batch to a file in the filestore (each batch's records forgotten before the next), then streamed from it: the peak memory grows with a batch, not with the catalog.
`;
    writeSection('bench:feed', md);
    console.log(md);
  } finally {
    await stopOdoo(odoo.port, config);
  }
  if (process.env.BENCH_FEED_DROP) dropDatabase(db, config);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
