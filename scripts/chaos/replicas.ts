/**
 * The many-replicas chaos run: three sidecar replicas behind nginx, a steady
 * stream of relays, TikTok refusing every call for a while, one replica killed
 * and another restarted, then a count of what reached the fake Events API.
 *
 *   npm run chaos:replicas -- [--engine sqlite|postgres] [--seconds 150] [--pause-seconds 60]
 *                             [--rate 100] [--fault-rate 0.1] [--drain-seconds 600] [--no-doc]
 *
 * The verdict is printed and written to docs/BENCHMARKS.md (unless --no-doc); the
 * exit code is 1 when an accepted event is neither delivered nor (SQLite) waiting
 * in the killed replica's file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeProcess, RELAY_BODY, SHOP, UA, type FakeProcess } from '../bench/load';
import { machineLine, writeSection } from '../bench/report';
import { exited } from '../../tests/helpers/process';
import {
  createStore,
  engineUnavailableReason,
  metricValue,
  parseEngine,
  RELAY_PATH,
  scrape,
  startNginx,
  startReplica,
  stopReplica,
  type Engine,
  type Nginx,
  type OutboxStore,
  type Replica,
} from './cluster';
import { chaosTimeline, increaseBetween, intervalsWithSeveralRising, judge, type ChaosStep, type ChaosVerdict, type Sample } from './verdict';

export interface ChaosOptions {
  engine: Engine;
  seconds: number;
  pauseSeconds: number;
  /** Relay requests a second (one event each), spread over `concurrency` senders. */
  rate: number;
  concurrency: number;
  /** Share of Events API calls the fake fails (rate limit, 5xx, dropped connection). */
  faultRate: number;
  drainSeconds: number;
  build: 'compiled' | 'bundled';
  log: (line: string) => void;
}

export interface ChaosResult {
  options: ChaosOptions;
  verdict: ChaosVerdict;
  /** Relay requests not answered 202 (nginx 502 while a replica died, connection errors), by status (0: no answer). */
  notAccepted: Record<string, number>;
  /** Requests each replica saw refused (40002) while the fake refused every call, from its own metrics. */
  rejectedDuringPause: Record<string, number>;
  /**
   * Scrape intervals of the pause, after its first seconds (the batches already on
   * their way when it began), in which more than one replica was refused: 0 when
   * the lane is paused for all and one replica at a time probes it.
   */
  severalRefusedIntervals: number;
  /** The same at the fake: every call answered 40002 during the pause. */
  fakeRejectedDuringPause: number;
  deadLetters: number;
  /** Rows the drain left unsent in the stores of live replicas (the run timed out when above 0). */
  undrained: number;
  drainedInSeconds: number;
  fakeRequests: number;
}

const REPLICA_IDS = ['replica-1', 'replica-2', 'replica-3'];
/** Rows still to be sent. */
const WAITING = ['pending', 'in_flight'] as const;
const SCRAPE_MS = 1000;

/** The first seconds of the pause, when the batches already on their way come back refused, from any replica. */
const PAUSE_START_MS = 3000;

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const reason = engineUnavailableReason(options.engine);
  if (reason) throw new Error(reason);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-replicas-'));
  const fake = await startFakeProcess(['--fault-rate', String(options.faultRate), '--fault-kinds', 'rate_limit,server_error,drop', '--seed', String(Date.now() % 1e9)]);
  const store = createStore(options.engine, dir);
  const live = new Map<string, Replica>();
  let nginx: Nginx | undefined;
  try {
    for (const id of REPLICA_IDS) live.set(id, await startReplica(store, fake.url, id, { build: options.build }));
    // A retried POST is harmless only where every replica reads one outbox (see nginxConfig).
    nginx = await startNginx(dir, [...live.values()].map((r) => r.port), store.shared);
    options.log(`${options.engine}: 3 replicas behind nginx on 127.0.0.1:${nginx.port}; fake at ${fake.url} failing ${options.faultRate * 100} % of calls`);
    return await chaos(options, fake, store, live, nginx.port);
  } finally {
    await nginx?.stop();
    for (const replica of live.values()) await stopReplica(replica);
    fake.child.kill('SIGTERM');
    await exited(fake.child);
    store.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function chaos(options: ChaosOptions, fake: FakeProcess, store: OutboxStore, live: Map<string, Replica>, nginxPort: number): Promise<ChaosResult> {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const load = startLoad(`http://127.0.0.1:${nginxPort}${RELAY_PATH}`, options.rate, options.concurrency);
  const rejected = scrapeRejected(live);
  const marks: Partial<Record<ChaosStep, number>> = {};
  let fakeRejectedAtPause = 0;
  let fakeRejected = 0;
  const steps: Record<ChaosStep, () => Promise<void>> = {
    pause_on: async () => {
      fakeRejectedAtPause = (await fake.stats()).answers['40002'] ?? 0;
      await fake.control('faults', { sticky: 'invalid_param' });
    },
    kill_replica_1: async () => {
      await stopReplica(live.get('replica-1')!, 'SIGKILL');
      live.delete('replica-1');
    },
    pause_off: async () => {
      await fake.control('faults', { sticky: null });
      fakeRejected = ((await fake.stats()).answers['40002'] ?? 0) - fakeRejectedAtPause;
    },
    stop_replica_2: async () => {
      const old = live.get('replica-2')!;
      live.delete('replica-2');
      await stopReplica(old, 'SIGTERM');
      // A rolling update: the same id and port, so nginx finds it again and (SQLite) it reopens its own file.
      live.set('replica-2', await startReplica(store, fake.url, 'replica-2', { port: old.port, build: options.build }));
    },
    stop_load: async () => void (await load.stop()),
  };
  for (const { at, step } of chaosTimeline(options)) {
    await sleep(Math.max(0, (at - elapsed()) * 1000));
    marks[step] = Date.now();
    options.log(`t=${elapsed().toFixed(1)} s: ${step.replace(/_/g, ' ')}`);
    await steps[step]();
  }
  const answers = await load.stop();
  const drainStart = Date.now();
  const undrained = await waitForDrain([...live.keys()], store, options.drainSeconds);
  const drainedInSeconds = (Date.now() - drainStart) / 1000;
  options.log(`drain: ${undrained === 0 ? 'done' : `${undrained} rows still unsent`} after ${drainedInSeconds.toFixed(1)} s`);
  const samples = rejected.stop();
  const severalRefusedIntervals = intervalsWithSeveralRising(samples, marks.pause_on! + PAUSE_START_MS, marks.pause_off! + SCRAPE_MS, SCRAPE_MS);
  const rejectedDuringPause = Object.fromEntries(REPLICA_IDS.map((id) => [id, increaseBetween(samples.get(id) ?? [], marks.pause_on!, marks.pause_off! + SCRAPE_MS)]));

  // Each replica's file (SQLite) or the one database: what is still waiting, and the dead letters.
  const stores = store.shared ? REPLICA_IDS.slice(0, 1) : REPLICA_IDS;
  const dead = new Set(stores.flatMap((id) => store.eventIds(id, ['dead'])));
  const stranded = new Set(store.shared ? [] : store.eventIds('replica-1', WAITING));
  const acceptedIds = [...answers].filter(([, status]) => status === 202).map(([id]) => id);
  const notAccepted: Record<string, number> = {};
  for (const status of answers.values()) if (status !== 202) notAccepted[status] = (notAccepted[status] ?? 0) + 1;
  return {
    options,
    verdict: judge(acceptedIds, await deliveredCounts(fake), { stranded, dead }),
    notAccepted,
    rejectedDuringPause,
    severalRefusedIntervals,
    fakeRejectedDuringPause: fakeRejected,
    deadLetters: dead.size,
    undrained,
    drainedInSeconds,
    fakeRequests: (await fake.stats()).requests,
  };
}

/** A steady stream of relays, each a new event_id; every answer is kept by id (0: no answer). */
function startLoad(url: string, rate: number, concurrency: number): { stop: () => Promise<Map<string, number>> } {
  const answers = new Map<string, number>();
  let running = true;
  let sequence = 0;
  const everyMs = (1000 * concurrency) / rate;
  const sender = async (lane: number) => {
    let next = Date.now() + (lane * everyMs) / concurrency;
    while (running) {
      await sleep(Math.max(0, next - Date.now()));
      next += everyMs;
      const id = `chaos-${process.pid}-${++sequence}`;
      answers.set(id, await relay(url, id));
    }
  };
  const senders = Array.from({ length: concurrency }, (_, lane) => sender(lane));
  let stopped: Promise<Map<string, number>> | undefined;
  return {
    stop: () => {
      running = false;
      stopped ??= Promise.all(senders).then(() => answers);
      return stopped;
    },
  };
}

async function relay(url: string, eventId: string): Promise<number> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: SHOP, 'user-agent': UA },
      body: RELAY_BODY.replace('[<id>]', eventId),
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Every second, each live replica's count of Events API requests refused as 40002 (outcome "rejected"). */
function scrapeRejected(live: Map<string, Replica>): { stop: () => Map<string, Sample[]> } {
  const samples = new Map<string, Sample[]>();
  const timer = setInterval(() => {
    for (const replica of live.values()) {
      void scrape(replica).then((text) => {
        if (text === undefined) return;
        const value = metricValue(text, 'tiktok_api_requests_total', { outcome: 'rejected' });
        samples.set(replica.id, [...(samples.get(replica.id) ?? []), { at: Date.now(), value }]);
      });
    }
  }, SCRAPE_MS);
  return {
    stop: () => {
      clearInterval(timer);
      for (const list of samples.values()) list.sort((a, b) => a.at - b.at);
      return samples;
    },
  };
}

/** Waits until no live replica's store holds a row to send; returns what is left when the time is up (0: drained). */
async function waitForDrain(liveIds: string[], store: OutboxStore, seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  const stores = store.shared ? liveIds.slice(0, 1) : liveIds;
  for (;;) {
    const left = stores.reduce((sum, id) => sum + store.eventIds(id, WAITING).length, 0);
    if (left === 0 || Date.now() > deadline) return left;
    await sleep(1000);
  }
}

/** How many times the fake received each event_id (GET /_fake/delivered, page by page). */
async function deliveredCounts(fake: FakeProcess): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let offset = 0; ; ) {
    const page = (await (await fetch(`${fake.url}/_fake/delivered?offset=${offset}`)).json()) as { total: number; events: Array<{ row: { event_id: string } }> };
    for (const e of page.events) counts.set(e.row.event_id, (counts.get(e.row.event_id) ?? 0) + 1);
    offset += page.events.length;
    if (page.events.length === 0 || offset >= page.total) return counts;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** How the replicas pause the lane while every call is refused: together on a shared outbox, each on its own with a file each. */
function pauseExplanation(engine: ChaosOptions['engine']): string {
  const probe = 'a probe at the end of each pause (5 s, doubling), each probe the batch, its two halves and a one-event sample';
  return engine === 'postgres'
    ? `one pause for every replica (the lane's hold in the shared outbox): nothing leaves while it holds, then ${probe}, sent by one replica`
    : `each replica pauses on its own (each has its own outbox file): ${probe}`;
}

/** The verdict as a section of docs/BENCHMARKS.md. */
export function chaosReport(result: ChaosResult, command: string): string {
  const { verdict: v, options: o } = result;
  const list = (ids: string[]) => (ids.length ? `${ids.length}: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}` : '0');
  const perReplica = Object.entries(result.rejectedDuringPause).map(([id, n]) => `${id} ${n}`).join(', ');
  const strandedLine =
    o.engine === 'sqlite'
      ? `| accepted ids waiting in the killed replica's SQLite file (stranded: no other replica reads that file; they leave when replica-1 starts again on it) | ${v.stranded.length} | |`
      : `| accepted ids left behind by the killed replica | ${v.stranded.length} | 0 (its rows return when their lease ends) |`;
  return `## Chaos run, ${o.engine} outbox (\`npm run chaos:replicas\`)

Command: \`${command}\`
Machine: ${machineLine()}
Date: ${new Date().toISOString().slice(0, 10)}
Setup: 3 compiled sidecar replicas (relay-only, ${o.engine === 'sqlite' ? 'one SQLite file each' : 'one shared PostgreSQL database'}) behind nginx on loopback (\`proxy_next_upstream error timeout${o.engine === 'postgres' ? ' non_idempotent' : ''}\`), a load of ${o.rate} relay requests/s (one event each, ${o.concurrency} senders) for ${o.seconds} s, the fake Events API failing ${o.faultRate * 100} % of calls (rate limit, 5xx, dropped connection). Timeline: ${chaosTimeline(o)
    .map(({ at, step }) => `${step.replace(/_/g, ' ')} at ${at.toFixed(0)} s`)
    .join(', ')} (pause on: every call answered 40002 for ${o.pauseSeconds} s; replica 1 SIGKILLed and never restarted; replica 2 SIGTERMed and started again with the same id).

| figure | measured | expected |
|---|---|---|
| relay requests answered 202 (accepted ids) | ${v.accepted} | |
| relay requests not accepted, by status (0: no answer) | ${JSON.stringify(result.notAccepted)} | ${o.engine === 'sqlite' ? 'a few 502 while a replica dies (a POST it had already received is not sent to another SQLite replica), a few 503 from the draining one' : 'none or a few 503 from the draining replica: nginx sends a POST whose replica died to another'} |
| accepted ids delivered to the fake | ${v.delivered} | all, but the stranded |
${strandedLine}
| accepted ids parked as dead letters (kept in the outbox; \`requeue-dead\` sends them again) | ${list(v.dead)} | at most one per replica: a batch of one event refused, with nothing to compare it to, is that event's fault |
| accepted ids lost (neither delivered, stranded nor a dead letter) | ${list(v.lost)} | 0 |
| duplicate rows at the fake (ids received more than once) | ${v.duplicateRows} (${v.duplicateIds} ids) | at most the killed replica's in-flight batch${o.engine === 'postgres' ? ' whose lease expired' : ''} |
| Events API calls answered 40002 during the ${o.pauseSeconds} s pause, at the fake | ${result.fakeRejectedDuringPause} | |
| the same, per replica (its own tiktok_api_requests_total{outcome="rejected"}) | ${perReplica} | ${pauseExplanation(o.engine)} |
| seconds of the pause (after its first ${PAUSE_START_MS / 1000}) in which more than one replica was refused | ${result.severalRefusedIntervals} | ${o.engine === 'postgres' ? '0: one replica probes at a time, the others send nothing of the paused lane' : 'some: each replica probes on its own'} |
| dead letters in the outboxes (accepted ids or not) | ${result.deadLetters} | |
| rows still unsent after the drain | ${result.undrained} (drain ${result.drainedInSeconds.toFixed(0)} s) | 0 |
| Events API calls in all | ${result.fakeRequests} | |
| verdict | ${v.ok ? 'pass' : '**FAIL**'} | |
`;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function numberArg(name: string, fallback: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a number above 0 (got "${raw}")`);
  return n;
}

async function main(): Promise<void> {
  const options: ChaosOptions = {
    engine: parseEngine(arg('engine')),
    seconds: numberArg('seconds', 150),
    pauseSeconds: numberArg('pause-seconds', 60),
    rate: numberArg('rate', 100),
    concurrency: numberArg('concurrency', 8),
    faultRate: arg('fault-rate') === '0' ? 0 : numberArg('fault-rate', 0.1),
    drainSeconds: numberArg('drain-seconds', 600),
    build: 'compiled',
    log: (line) => console.log(line),
  };
  chaosTimeline(options);
  const result = await runChaos(options);
  const command = `npm run chaos:replicas -- --engine ${options.engine} --seconds ${options.seconds} --pause-seconds ${options.pauseSeconds} --rate ${options.rate}`;
  const md = chaosReport(result, command);
  if (!process.argv.includes('--no-doc')) writeSection(`chaos:replicas:${options.engine}`, md);
  console.log(md);
  process.exitCode = result.verdict.ok ? 0 : 1;
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(2);
  });
}
