/**
 * Relay ingest benchmark: a real load generator (autocannon) against the sidecar
 * running as its own process with its durable SQLite outbox, delivering to the
 * local fake Events API. Writes its figures to docs/BENCHMARKS.md.
 *
 *   npm run bench:relay [-- --seconds 20 --connections 32]
 */
import autocannon from 'autocannon';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exited, freePort, spawnSidecar, waitForHttp } from '../../tests/helpers/process';
import { startFakeEventsApi } from '../../tests/support/fakeEventsApi';
import { machineLine, peakRssMb, writeSection } from './report';

const PIXEL = 'CBENCHPIXEL000000001';
const TOKEN = 'bench-access-token-0001';
const SHOP = 'https://shop.example';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const BAR = { eventsPerSecond: 5000, p99Ms: 20, rssMb: 150, eventsPerRequest: 500 };

async function main(): Promise<void> {
  const seconds = arg('seconds', 20);
  const connections = arg('connections', 32);
  const api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-relay-'));
  const port = await freePort();
  const child = spawnSidecar({
    RELAY_PORT: String(port),
    OUTBOX_PATH: path.join(dir, 'outbox.sqlite'),
    TIKTOK_PIXEL_ID: PIXEL,
    TIKTOK_ACCESS_TOKEN: TOKEN,
    TIKTOK_API_BASE_URL: api.baseUrl,
    RELAY_ALLOWED_ORIGINS: SHOP,
    // One address sends everything here; a shop's real traffic comes from many.
    RELAY_RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'warn',
  }, [], { compiled: true });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);

  const body = JSON.stringify({
    pixel_id: PIXEL,
    event: 'AddToCart',
    event_id: 'bench-[<id>]',
    page: { url: `${SHOP}/shop/desk-23` },
    user: { ttp: 'ttp-bench', email: 'a'.repeat(64) },
    properties: { contents: [{ content_id: '23', content_type: 'product', content_name: 'Desk', price: 675, quantity: 1 }], currency: 'USD', value: 675 },
  });
  // Warm-up so JIT and SQLite pages are hot before measuring.
  const warm = await autocannon({ url: `http://127.0.0.1:${port}/tiktok/relay`, method: 'POST', body, idReplacement: true, connections, duration: 3, headers: { 'content-type': 'text/plain', origin: SHOP, 'user-agent': UA } });
  const warmDeadline = Date.now() + 30_000;
  while (api.delivered.length < warm['2xx'] && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 100));
  api.reset();

  const result = await autocannon({
    url: `http://127.0.0.1:${port}/tiktok/relay`,
    method: 'POST',
    body,
    idReplacement: true,
    connections,
    duration: seconds,
    headers: { 'content-type': 'text/plain', origin: SHOP, 'user-agent': UA },
  });
  const accepted = result['2xx'];
  // Let the dispatcher drain what is left before counting deliveries.
  const deadline = Date.now() + 30_000;
  const uniqueDelivered = () => new Set(api.delivered.map((d) => d.row.event_id as string)).size;
  while (uniqueDelivered() < accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const rss = peakRssMb(child.pid!);
  child.kill('SIGTERM');
  await exited(child);
  await api.close();
  fs.rmSync(dir, { recursive: true, force: true });

  const okRequests = api.requests.filter((r) => r.code === 0);
  const eventsPerRequest = okRequests.length ? okRequests.reduce((n, r) => n + r.rows, 0) / okRequests.length : 0;
  const eventsPerSecond = accepted / seconds;
  const figures = {
    eventsPerSecond: Math.round(eventsPerSecond),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    rssMb: rss === undefined ? NaN : Math.round(rss),
    eventsPerRequest: Math.round(eventsPerRequest),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    delivered: uniqueDelivered(),
    accepted,
  };
  const pass = (ok: boolean) => (ok ? 'pass' : '**FAIL**');
  const md = `## Relay ingest (\`npm run bench:relay\`)

Command: \`npm run bench:relay -- --seconds ${seconds} --connections ${connections}\`
Machine: ${machineLine()}
Date: ${new Date().toISOString().slice(0, 10)}
Setup: autocannon (${connections} connections, loopback) → sidecar in its own process, compiled (SQLite outbox, WAL, synchronous=NORMAL, group commit) → local fake Events API in the benchmark's process. One event per relay request, as a browser sends them. Load generator, sidecar and fake share the machine's cores.

| figure | measured | bar | |
|---|---|---|---|
| accepted events/s (sustained, ${seconds} s) | ${figures.eventsPerSecond} | ≥ ${BAR.eventsPerSecond} | ${pass(figures.eventsPerSecond >= BAR.eventsPerSecond)} |
| relay latency p50 | ${figures.p50Ms} ms | | |
| relay latency p99 | ${figures.p99Ms} ms | < ${BAR.p99Ms} ms | ${pass(figures.p99Ms < BAR.p99Ms)} |
| sidecar peak RSS | ${figures.rssMb} MB | < ${BAR.rssMb} MB | ${pass(figures.rssMb < BAR.rssMb)} |
| events per Events API request | ${figures.eventsPerRequest} | ≥ ${BAR.eventsPerRequest} | ${pass(figures.eventsPerRequest >= BAR.eventsPerRequest)} |
| accepted / distinct event_ids delivered to the fake | ${figures.accepted} / ${figures.delivered} | equal | ${pass(figures.accepted === figures.delivered)} |
| non-2xx / errors / timeouts | ${figures.non2xx} / ${figures.errors} / ${figures.timeouts} | 0 | ${pass(figures.non2xx + figures.errors + figures.timeouts === 0)} |
`;
  writeSection('bench:relay', md);
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
