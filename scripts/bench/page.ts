/**
 * Page-weight benchmark: the browser bundle's size (minified + gzipped) and the
 * server render time of /shop with the module installed versus without it, on
 * real Odoo 19. Writes its figures to docs/BENCHMARKS.md.
 *
 *   npm run bench:page
 */
import fs from 'node:fs';
import { gzipSync } from 'node:zlib';
import { BUDGET_BYTES, OUTPUT } from '../buildFrontend';
import { cloneDatabase, copyDatabase, dropDatabase, ensureBaseDatabase, loadConfig, odooUnavailableReason, startOdoo, stopOdoo } from '../odooDev';
import { runShell } from '../../tests/helpers/odooShop';
import { freePort } from '../../tests/helpers/process';
import { machineLine, percentile, writeSection } from './report';

const REQUESTS = 60;

/** Median and p90 wall time of GET /shop, after warm-up, one request at a time. */
async function timeShop(url: string): Promise<{ median: number; p90: number }> {
  for (let i = 0; i < 10; i++) await (await fetch(`${url}/shop`)).text();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/shop`);
    await res.text();
    if (res.status !== 200) throw new Error(`/shop answered ${res.status}`);
    times.push(performance.now() - t0);
  }
  return { median: percentile(times, 50), p90: percentile(times, 90) };
}

async function main(): Promise<void> {
  const code = fs.readFileSync(OUTPUT);
  const minified = code.length;
  const gzipped = gzipSync(code, { level: 9 }).length;
  const unavailable = odooUnavailableReason();
  const { renderRows, renderNote } = unavailable
    ? { renderRows: '', renderNote: `Render time not measured: ${unavailable}.` }
    : await measureRender();
  const md = `## Page weight (\`npm run bench:page\`)

Command: \`npm run bench:page\`
Machine: ${machineLine()}
Date: ${new Date().toISOString().slice(0, 10)}

| figure | measured | bar | |
|---|---|---|---|
| bundle, minified | ${minified} bytes | | |
| bundle, minified + gzipped | ${gzipped} bytes | ≤ ${BUDGET_BYTES} bytes | ${gzipped <= BUDGET_BYTES ? 'pass' : '**FAIL**'} |
${renderRows}
The bundle is part of Odoo's lazy frontend assets (loaded after \`window.load\`); the only thing added to \`<head>\` is the inline pixel snippet and the config blob, so no blocking request is added to page load. ${renderNote}
`;
  writeSection('bench:page', md);
  console.log(md);
}

/** /shop render time with the module enabled and without it, each on a fresh copy of the shop. */
async function measureRender(): Promise<{ renderRows: string; renderNote: string }> {
  const config = loadConfig();
  await ensureBaseDatabase(config);
  const without = `tt_bench_page_without_${process.pid}`;
  const withModule = `tt_bench_page_with_${process.pid}`;
  // Without: a copy of the base shop. With: a copy of the template, tracking enabled.
  copyDatabase(config.baseDb, without, config);
  await cloneDatabase(withModule, config);
  runShell(config, withModule, `
ICP = env['ir.config_parameter'].sudo()
ICP.set_param('website_tiktok_events.enabled', 'True')
ICP.set_param('website_tiktok_events.pixel_id', 'CBENCHPAGEPIXEL00001')
ICP.set_param('website_tiktok_events.access_token', 'bench-page-token-0001')
`);
  const results: Record<string, { median: number; p90: number }> = {};
  for (const db of [without, withModule, without, withModule]) {
    const odoo = await startOdoo(db, await freePort(), config);
    try {
      const r = await timeShop(odoo.url);
      // Two rounds each, interleaved, keep the better median: less noise from the shared machine.
      if (!results[db] || r.median < results[db].median) results[db] = r;
    } finally {
      await stopOdoo(odoo.port, config);
    }
  }
  dropDatabase(without, config);
  dropDatabase(withModule, config);
  const a = results[without];
  const b = results[withModule];
  const overhead = ((b.median - a.median) / a.median) * 100;
  const renderRows = `| /shop render, without the module (median / p90) | ${a.median.toFixed(1)} ms / ${a.p90.toFixed(1)} ms | | |
| /shop render, with the module enabled (median / p90) | ${b.median.toFixed(1)} ms / ${b.p90.toFixed(1)} ms | | |
| overhead of the module on /shop (median) | ${overhead.toFixed(1)} % | ≤ 3 % | ${overhead <= 3 ? 'pass' : '**FAIL**'} |
`;
  const renderNote = `Render time: ${REQUESTS} sequential GET /shop per database after 10 warm-up requests, public visitor, Odoo started fresh for each of two interleaved rounds; the better median of each is kept.`;
  return { renderRows, renderNote };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
