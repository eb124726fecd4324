/**
 * Relay throughput through nginx with 1 and 3 sidecar replicas on this machine,
 * per outbox engine (SQLite files, and PostgreSQL when the sidecar has it): the
 * same load generator and relay body as bench:relay, one event per request.
 * Writes its figures to docs/BENCHMARKS.md.
 *
 *   npm run bench:replicas [-- --seconds 20 --connections 16] [--engine sqlite|postgres]
 *
 * CPU per 1,000 events is the sidecar processes' own process_cpu_seconds_total
 * (their /metrics) over the measured run, summed over the replicas.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exited } from '../../tests/helpers/process';
import { createStore, ENGINES, engineUnavailableReason, metricValue, parseEngine, scrape, startNginx, startReplica, stopReplica, type Engine, type Replica } from '../chaos/cluster';
import { hasWrk, RELAY_BODY, runAutocannon, runWrk, startFakeProcess, type LoadResult } from './load';
import { machineLine, writeSection } from './report';

const REPLICA_COUNTS = [1, 3];

interface Row {
  engine: Engine;
  replicas: number;
  load: LoadResult;
  cpuMsPerThousand: number;
  delivered: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** CPU seconds the replicas have used so far, as each reports it. */
async function cpuSeconds(replicas: Replica[]): Promise<number> {
  let sum = 0;
  for (const replica of replicas) {
    const text = await scrape(replica);
    if (text === undefined) throw new Error(`${replica.id} did not answer /metrics`);
    sum += metricValue(text, 'process_cpu_seconds_total');
  }
  return sum;
}

async function measure(engine: Engine, count: number, seconds: number, connections: number): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-replicas-'));
  const fake = await startFakeProcess();
  const store = createStore(engine, dir);
  const replicas: Replica[] = [];
  try {
    for (let i = 1; i <= count; i++) replicas.push(await startReplica(store, fake.url, `replica-${i}`));
    const nginx = await startNginx(dir, replicas.map((r) => r.port), store.shared);
    try {
      const load = (secs: number) => (hasWrk() ? runWrk(nginx.port, connections, secs) : runAutocannon(nginx.port, RELAY_BODY, connections, secs));
      // Warm-up: JIT, SQLite pages, nginx's upstream connections.
      await load(3);
      await fake.control('reset');
      const cpuBefore = await cpuSeconds(replicas);
      const result = await load(seconds);
      const cpuUsed = (await cpuSeconds(replicas)) - cpuBefore;
      // Let the replicas deliver what they accepted before counting it at the fake.
      const deadline = Date.now() + 60_000;
      while ((await fake.stats()).uniqueEvents < result.accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      return { engine, replicas: count, load: result, cpuMsPerThousand: (cpuUsed * 1e6) / Math.max(1, result.accepted), delivered: (await fake.stats()).uniqueEvents };
    } finally {
      await nginx.stop();
    }
  } finally {
    for (const replica of replicas) await stopReplica(replica);
    fake.child.kill('SIGTERM');
    await exited(fake.child);
    store.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(rows: Row[], skipped: string[], seconds: number, connections: number, loadAverage: number): string {
  const single = rows.find((r) => r.replicas === 1);
  const perCore = single ? `one replica spent ${Math.round(single.cpuMsPerThousand)} ms of CPU per 1,000 events (${single.engine}), so one core carries about ${Math.round(1e6 / single.cpuMsPerThousand).toLocaleString('en-US')} events/s of relay work` : 'one replica uses at most one core';
  const line = (r: Row) =>
    `| ${r.engine} | ${r.replicas} | ${Math.round(r.load.accepted / r.load.seconds)} | ${r.load.p50.toFixed(2)} ms | ${r.load.p99.toFixed(2)} ms | ${Math.round(r.cpuMsPerThousand)} ms | ${r.delivered} / ${r.load.accepted} | ${r.load.non2xx} / ${r.load.errors} / ${r.load.timeouts} |`;
  return `## Relay through nginx, 1 and 3 replicas (\`npm run bench:replicas\`)

Command: \`npm run bench:replicas -- --seconds ${seconds} --connections ${connections}\`
Machine: ${machineLine()}
Date: ${new Date().toISOString().slice(0, 10)}, load average ${loadAverage.toFixed(1)} when it started (other work on the machine moves these figures)
Setup: ${hasWrk() ? 'wrk' : 'autocannon'} (closed loop, ${connections} connections, one event per request, ${seconds} s after a 3 s warm-up) → nginx (1 worker, keepalive to the upstreams) → N compiled sidecar replicas (relay-only) → local fake Events API. Load generator, nginx, replicas, fake${rows.some((r) => r.engine === 'postgres') ? ' and PostgreSQL' : ''} share the machine's cores. CPU per 1,000 events: the replicas' own \`process_cpu_seconds_total\`, summed (nginx and the fake not included).${skipped.length ? `\nNot measured: ${skipped.join('; ')}.` : ''}

| engine | replicas | accepted events/s | p50 | p99 | sidecar CPU per 1,000 events | delivered / accepted | non-2xx / errors / timeouts |
|---|---|---|---|---|---|---|---|
${rows.map(line).join('\n')}

What it means for N cores: each replica is one Node.js thread, so it uses one core at most; ${perCore}. The CPU per event grows with more replicas on the same load: each carries a third of the events, so its Events API batches are smaller and its fixed work (timers, the dispatcher's loop, garbage collection) is shared by fewer events. On a machine with N free cores, N replicas behind nginx carry up to about N times one replica's events/s, less what nginx, the load balancer's own core share and the outbox take: each SQLite replica writes its own file (no shared lock, so it scales with cores and disks, but a replica that dies strands its backlog until it starts again on that file), while replicas on one PostgreSQL database share its commit rate and any of them delivers any row. On this ${os.cpus().length}-core machine the load generator, nginx and the fake already take a core: more replicas than free cores add context switches, not throughput, which is what the 3-replica rows measure here.
`;
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds') ?? 20);
  const connections = Number(arg('connections') ?? 16);
  const engines = arg('engine') ? [parseEngine(arg('engine'))] : [...ENGINES];
  const loadAverage = os.loadavg()[0];
  const rows: Row[] = [];
  const skipped: string[] = [];
  for (const engine of engines) {
    const reason = engineUnavailableReason(engine);
    if (reason) {
      skipped.push(`${engine} (${reason})`);
      console.log(`${engine}: skipped: ${reason}`);
      continue;
    }
    for (const count of REPLICA_COUNTS) {
      const row = await measure(engine, count, seconds, connections);
      console.log(`${engine}, ${count} replica(s): ${Math.round(row.load.accepted / row.load.seconds)} events/s, p99 ${row.load.p99.toFixed(2)} ms, ${Math.round(row.cpuMsPerThousand)} ms CPU per 1,000`);
      rows.push(row);
    }
  }
  const md = report(rows, skipped, seconds, connections, loadAverage);
  writeSection('bench:replicas', md);
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
