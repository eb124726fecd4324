/**
 * Relay ingest benchmark: a real load generator (autocannon) against the sidecar
 * running as its own process with its durable SQLite outbox, delivering to the
 * local fake Events API. Writes its figures to docs/BENCHMARKS.md.
 *
 *   npm run bench:relay [-- --seconds 20 --connections 32] [--no-odoo] [--cpu-prof DIR]
 *   OUTBOX_URL=postgres://user:password@host/empty_db npm run bench:relay -- --no-odoo
 *
 * With OUTBOX_URL the sidecar's outbox is that PostgreSQL database (give it an
 * empty one) and the figures go to a section of their own.
 *
 * With wrk, the same run then measures two yardsticks with the same load: a bare
 * express 5 app and a raw `node:http` handler that only parse the JSON and answer
 * 202 (`baseline.ts`), and prints the relay's ratios to them.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { exited, freePort, REPO_ROOT, SIDECAR_NODE_FLAGS, spawnSidecar, waitForHttp } from '../../tests/helpers/process';
import { cloneDatabase, dropDatabase, loadConfig as loadOdooConfig, odooUnavailableReason, startOdoo, stopOdoo } from '../odooDev';
import { corePlacement, hasWrk, pinToCores, RELAY_BODY, relayOnlyEnv, runAutocannon, runWrk, startFakeProcess, withCpu, type LoadResult } from './load';
import { machineLine, peakRssMb, writeSection } from './report';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? path.resolve(process.argv[i + 1]) : undefined;
}

const BAR = { eventsPerSecond: 5000, p99Ms: 20, rssMb: 150, eventsPerRequest: 500, overExpress: 1.2 };

/** `--no-odoo`: skip the Odoo JSON route (minutes of setup) when only the relay and its yardsticks are wanted. */
const yardsticksOnly = () => process.argv.includes('--no-odoo');

/** OUTBOX_URL in the environment: the PostgreSQL outbox is measured instead of the SQLite file. */
const pgOutboxUrl = process.env.OUTBOX_URL || undefined;

async function main(): Promise<void> {
  const seconds = arg('seconds', 20);
  const connections = arg('connections', 16);
  const cpuProfDir = textArg('cpu-prof');
  const fake = await startFakeProcess();
  const { url: fakeUrl, stats } = fake;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-relay-'));
  const port = await freePort();
  const child = spawnSidecar({
    ...relayOnlyEnv(fakeUrl),
    RELAY_PORT: String(port),
    ...(pgOutboxUrl ? { OUTBOX_URL: pgOutboxUrl } : { OUTBOX_PATH: path.join(dir, 'outbox.sqlite') }),
  }, [], {
    compiled: true,
    // `--cpu-prof DIR`: V8 writes the sidecar's CPU profile there when it stops (open it in Chrome's DevTools).
    nodeFlags: cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
  });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);
  // wrk (C, Debian's package) when installed: on two cores a load generator written in
  // JavaScript takes a whole core from the process it measures. autocannon otherwise.
  const generator = hasWrk() ? 'wrk' : 'autocannon';
  // With wrk, each server measured gets one core of its own and the load the others.
  const cores = generator === 'wrk' ? corePlacement() : undefined;
  if (cores) {
    pinToCores(child.pid!, cores.server);
    pinToCores(fake.child.pid!, cores.load);
  }
  // The fake stands in for TikTok's servers, which are not on the shop's machine: it
  // runs when the generator leaves it time, and never stalls the load it shares a core with.
  os.setPriority(fake.child.pid!, 19);

  const body = RELAY_BODY;
  // Warm-up so JIT and SQLite pages are hot before measuring.
  const warm = await runAutocannon(port, body, connections, 3);
  const warmDeadline = Date.now() + 30_000;
  while ((await stats()).uniqueEvents < warm.accepted && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 200));
  // Requests still in flight when the warm-up stopped are accepted but not counted by autocannon.
  await new Promise((r) => setTimeout(r, 1500));
  await fetch(`${fakeUrl}/_fake/reset`, { method: 'POST' });

  const load = (conns: number) => (generator === 'wrk' ? runWrk(port, conns, seconds, undefined, undefined, cores?.load) : runAutocannon(port, body, conns, seconds));
  const sustained = await withCpu(child.pid!, () => load(connections));
  const saturated = await load(connections * 2);
  const accepted = sustained.accepted + saturated.accepted;
  // Let the dispatcher drain what is left before counting deliveries.
  const deadline = Date.now() + 30_000;
  while ((await stats()).uniqueEvents < accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const rss = peakRssMb(child.pid!);
  const final = await stats();
  // The yardsticks, right after the relay on the same machine with the same generator and load.
  const yardsticks = generator === 'wrk' ? await measureYardsticks(connections, seconds, cores) : undefined;
  child.kill('SIGTERM');
  await exited(child);
  fake.child.kill('SIGTERM');
  await exited(fake.child);
  fs.rmSync(dir, { recursive: true, force: true });

  const eventsPerRequest = final.rowsPerAcceptedRequest;
  const figures = {
    eventsPerSecond: Math.round(sustained.accepted / sustained.seconds),
    cpuMsPerThousand: sustained.cpuMsPerThousand,
    maxEventsPerSecond: Math.round(saturated.accepted / saturated.seconds),
    p50Ms: sustained.p50,
    p99Ms: sustained.p99,
    saturatedP50Ms: saturated.p50,
    saturatedP99Ms: saturated.p99,
    rssMb: rss === undefined ? NaN : Math.round(rss),
    eventsPerRequest: Math.round(eventsPerRequest),
    non2xx: sustained.non2xx + saturated.non2xx,
    errors: sustained.errors + saturated.errors,
    timeouts: sustained.timeouts + saturated.timeouts,
    delivered: final.uniqueEvents,
    accepted,
  };
  const odooJson = generator === 'wrk' && !yardsticksOnly() ? await measureOdooJsonRoute(connections, seconds) : undefined;
  const perSecond = (r: LoadResult) => r.accepted / r.seconds;
  const cpu = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${Math.round(ms)} ms`);
  const cpuRatio = (a: LoadResult, b: LoadResult) => (a.cpuMsPerThousand && b.cpuMsPerThousand ? (a.cpuMsPerThousand / b.cpuMsPerThousand).toFixed(2) : 'n/a');
  const pass = (ok: boolean) => (ok ? 'pass' : '**FAIL**');
  const md = `## Relay ingest${pgOutboxUrl ? ' on the PostgreSQL outbox' : ''} (\`npm run bench:relay\`)

Command: \`${pgOutboxUrl ? 'OUTBOX_URL=postgres://… ' : ''}npm run bench:relay -- --seconds ${seconds} --connections ${connections}${yardsticksOnly() ? ' --no-odoo' : ''}\`
Machine: ${machineLine()}
Date: ${new Date().toISOString().slice(0, 10)}
Setup: ${generator} (closed loop, loopback; ${connections} then ${connections * 2} connections) → sidecar in its own process, compiled (${pgOutboxUrl ? 'PostgreSQL outbox on this machine, pool of 5, one multi-row INSERT per group commit' : 'SQLite outbox, WAL, synchronous=NORMAL, group commit'}) → local fake Events API in a third process. One event per relay request, as a browser sends them. A request still in flight when the generator stops is accepted by the relay but not counted by the generator, so up to one per connection more are delivered than counted. ${cores ? `Each server measured (the sidecar, its dispatcher included, then each yardstick) runs on core ${cores.server} alone; the generator and the fake share cores ${cores.load} (taskset), the fake at the lowest priority (nice 19). Other processes of the machine are not kept off core ${cores.server}.` : 'Load generator, sidecar and fake share the machine\'s cores.'}

| figure | measured | bar | |
|---|---|---|---|
| accepted events/s, ${connections} connections, ${seconds} s | ${figures.eventsPerSecond} | ≥ ${BAR.eventsPerSecond} | ${pass(figures.eventsPerSecond >= BAR.eventsPerSecond)} |
| relay latency p50 | ${figures.p50Ms.toFixed(2)} ms | | |
| relay latency p99 | ${figures.p99Ms.toFixed(2)} ms | < ${BAR.p99Ms} ms | ${pass(figures.p99Ms < BAR.p99Ms)} |
| heavier load: accepted events/s with ${connections * 2} connections | ${figures.maxEventsPerSecond} | | |
| heavier load: latency p50 / p99 | ${figures.saturatedP50Ms.toFixed(2)} ms / ${figures.saturatedP99Ms.toFixed(2)} ms | | |
| sidecar peak RSS (node ${SIDECAR_NODE_FLAGS.join(' ')}) | ${figures.rssMb} MB | < ${BAR.rssMb} MB | ${pass(figures.rssMb < BAR.rssMb)} |
| events per Events API request | ${figures.eventsPerRequest} | ≥ ${BAR.eventsPerRequest} | ${pass(figures.eventsPerRequest >= BAR.eventsPerRequest)} |
| distinct event_ids delivered to the fake / answered 202 to the generator | ${figures.delivered} / ${figures.accepted} | every accepted one delivered | ${pass(figures.delivered >= figures.accepted && figures.delivered - figures.accepted <= connections * 3)} |
${
    odooJson
      ? `| Odoo 19 itself, trivial JSON route (\`/web/webclient/version_info\`), ${connections} connections: requests/s, p50 / p99 | ${Math.round(odooJson.accepted / odooJson.seconds)}, ${odooJson.p50.toFixed(2)} ms / ${odooJson.p99.toFixed(2)} ms | | |
| relay events/s ÷ Odoo JSON requests/s (an in-Odoo relay cannot beat this route) | ${(figures.eventsPerSecond / (odooJson.accepted / odooJson.seconds)).toFixed(1)} × | | |
`
      : ''
  }${
    yardsticks
      ? `| a bare express 5 app that only parses the JSON and answers 202, ${connections} connections: requests/s, p50 / p99 | ${Math.round(perSecond(yardsticks.express))}, ${yardsticks.express.p50.toFixed(2)} ms / ${yardsticks.express.p99.toFixed(2)} ms | | |
| a raw \`node:http\` handler that only parses the JSON and answers 202: requests/s, p50 / p99 | ${Math.round(perSecond(yardsticks.raw))}, ${yardsticks.raw.p50.toFixed(2)} ms / ${yardsticks.raw.p99.toFixed(2)} ms | | |
| CPU per 1,000 answered requests, ${connections} connections: relay (sidecar process, its dispatcher included) / bare express / raw | ${cpu(figures.cpuMsPerThousand)} / ${cpu(yardsticks.express.cpuMsPerThousand)} / ${cpu(yardsticks.raw.cpuMsPerThousand)} | | |
| CPU per request, bare express ÷ relay and raw ÷ relay (a ratio that a busy neighbour moves less) | ${cpuRatio(yardsticks.express, sustained)} × / ${cpuRatio(yardsticks.raw, sustained)} × | | |
| relay events/s ÷ bare express requests/s | ${(figures.eventsPerSecond / perSecond(yardsticks.express)).toFixed(2)} × | > ${BAR.overExpress} × | ${pass(figures.eventsPerSecond / perSecond(yardsticks.express) > BAR.overExpress)} |
| relay events/s ÷ raw \`node:http\` requests/s | ${(figures.eventsPerSecond / perSecond(yardsticks.raw)).toFixed(2)} × | toward 0.5 × | |
`
      : ''
  }| non-2xx / errors / timeouts | ${figures.non2xx} / ${figures.errors} / ${figures.timeouts} | 0 | ${pass(figures.non2xx + figures.errors + figures.timeouts === 0)} |
`;
  writeSection(pgOutboxUrl ? 'bench:relay:pg' : 'bench:relay', md);
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/** The bare express app and the raw `node:http` handler (scripts/bench/baseline.ts), each in its own process, one after the other. */
async function measureYardsticks(connections: number, seconds: number, cores: ReturnType<typeof corePlacement>): Promise<{ express: LoadResult; raw: LoadResult }> {
  const measure = async (kind: 'express' | 'raw') => {
    const port = await freePort();
    const server = spawn(process.execPath, [...SIDECAR_NODE_FLAGS, '-r', 'ts-node/register/transpile-only', path.join(__dirname, 'baseline.ts'), '--kind', kind, '--port', String(port)], { cwd: REPO_ROOT, stdio: 'ignore' });
    try {
      if (cores) pinToCores(server.pid!, cores.server);
      await waitForPort(port);
      await runWrk(port, connections, 3, undefined, undefined, cores?.load);
      return await withCpu(server.pid!, () => runWrk(port, connections, seconds, undefined, undefined, cores?.load));
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
  };
  return { express: await measure('express'), raw: await measure('raw') };
}

/** Resolves once something accepts connections on the port (the yardsticks answer no GET). */
async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** Odoo answering its cheapest JSON-RPC route, same generator and connections (skipped without Odoo). */
async function measureOdooJsonRoute(connections: number, seconds: number): Promise<LoadResult | undefined> {
  if (odooUnavailableReason()) return undefined;
  const config = loadOdooConfig();
  const db = `tt_bench_json_${process.pid}`;
  await cloneDatabase(db, config);
  const odoo = await startOdoo(db, await freePort(), config);
  try {
    await runWrk(odoo.port, connections, 5, 'odoo-json.lua', '/web/webclient/version_info');
    return await runWrk(odoo.port, connections, seconds, 'odoo-json.lua', '/web/webclient/version_info');
  } finally {
    await stopOdoo(odoo.port, config);
    dropDatabase(db, config);
  }
}
