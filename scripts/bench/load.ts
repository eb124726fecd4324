/**
 * The load side of the benchmarks, shared by bench:relay and bench:replicas: the
 * fake Events API in its own process, the relay body, wrk or autocannon against
 * a port, and the CPU a process spent on a run.
 */
import autocannon from 'autocannon';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort, REPO_ROOT, waitForHttp } from '../../tests/helpers/process';
import type { FakeEventsApiSummary } from '../../tests/support/fakeEventsApi';

export const PIXEL = 'CBENCHPIXEL000000001';
export const TOKEN = 'bench-access-token-0001';
export const SHOP = 'https://shop.example';
export const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

/** The relay body autocannon sends (`[<id>]` becomes a fresh id per request); wrk sends the same from relay.lua. */
/**
 * A relay-only sidecar sending to the fake at `fakeUrl` with the load's pixel. One
 * address (the generator, or nginx) sends everything: its rate limits are off, as a
 * shop's real traffic comes from many.
 */
export function relayOnlyEnv(fakeUrl: string): Record<string, string> {
  return {
    TIKTOK_PIXEL_ID: PIXEL,
    TIKTOK_ACCESS_TOKEN: TOKEN,
    TIKTOK_API_BASE_URL: `${fakeUrl}/open_api`,
    RELAY_ALLOWED_ORIGINS: SHOP,
    RELAY_RATE_LIMIT_PER_MINUTE: '0',
    RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '0',
    LOG_LEVEL: 'warn',
  };
}

export const RELAY_BODY = JSON.stringify({
  pixel_id: PIXEL,
  event: 'AddToCart',
  event_id: '[<id>]',
  page: { url: `${SHOP}/shop/desk-23` },
  user: { ttp: '2BenchTtpCookie0000000001', email: 'a'.repeat(64) },
  properties: { contents: [{ content_id: '23', content_type: 'product', content_name: 'Desk', price: 675, quantity: 1 }], currency: 'USD', value: 675 },
});

export interface FakeProcess {
  child: ChildProcess;
  url: string;
  stats: () => Promise<FakeEventsApiSummary>;
  /** POST /_fake/<route> with a JSON body. */
  control: (route: string, body?: unknown) => Promise<unknown>;
}

/** The fake Events API in its own process, so its work never stalls the load generator's clock. */
export async function startFakeProcess(extraArgs: string[] = []): Promise<FakeProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', path.join(REPO_ROOT, 'scripts/fakeEventsApiServer.ts'), '--port', String(port), '--token', `${PIXEL}=${TOKEN}`, '--interval', '3600', ...extraArgs],
    { cwd: REPO_ROOT, stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/_fake/stats`);
  const control = async (route: string, body?: unknown) => {
    const res = await fetch(`${url}/_fake/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    if (!res.ok) throw new Error(`fake /_fake/${route} answered ${res.status}: ${await res.text()}`);
    return res.json();
  };
  return { child, url, stats: async () => (await (await fetch(`${url}/_fake/stats`)).json()) as FakeEventsApiSummary, control };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * A load run with the CPU the server used for it, per thousand answered requests: on a
 * shared machine the requests/s of a run follow what the neighbours do, the CPU a
 * request costs much less.
 */
export async function withCpu(pid: number, run: () => Promise<LoadResult>): Promise<LoadResult> {
  const before = cpuSeconds(pid);
  const result = await run();
  return { ...result, cpuMsPerThousand: ((cpuSeconds(pid) - before) * 1e6) / Math.max(1, result.accepted) };
}

export interface LoadResult {
  /** CPU milliseconds the server spent per thousand answered requests (set by `withCpu`). */
  cpuMsPerThousand?: number;
  accepted: number;
  seconds: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/**
 * Cores for a server under test and for what loads it (generator, fake Events API),
 * when the machine has two or more and `taskset` (util-linux) is there: each server
 * measured then gets one core to itself, the same one for the relay and for its
 * yardsticks, and the generator never steals from it. Undefined otherwise.
 */
export function corePlacement(): { server: string; load: string } | undefined {
  const cores = os.cpus().length;
  if (cores < 2 || spawnSync('taskset', ['--version'], { stdio: 'ignore' }).error !== undefined) return undefined;
  return { server: '0', load: `1-${cores - 1}` };
}

/** Every thread of a running process (and those it starts later) on these cores. */
export function pinToCores(pid: number, cores: string): void {
  const r = spawnSync('taskset', ['-a', '-c', '-p', cores, String(pid)], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`taskset could not pin process ${pid} to cores ${cores}`);
}

export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

export function runWrk(port: number, connections: number, seconds: number, script = 'relay.lua', route = '/tiktok/relay', cores?: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', path.join(__dirname, script), `http://127.0.0.1:${port}${route}`];
    const child = spawn(cores ? 'taskset' : 'wrk', cores ? ['-c', cores, 'wrk', ...args] : args, {
      env: { ...process.env, EVENT_PREFIX: `c${connections}` },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const line = out.split('\n').find((l) => l.startsWith('JSON'));
      if (!line) return reject(new Error(`wrk printed no summary:\n${out}`));
      const r = JSON.parse(line.slice(4));
      resolve({ accepted: r.requests - r.non2xx, seconds: r.seconds, p50: r.p50, p99: r.p99, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts });
    });
  });
}

export async function runAutocannon(port: number, body: string, connections: number, seconds: number, route = '/tiktok/relay'): Promise<LoadResult> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${route}`,
    method: 'POST',
    body,
    idReplacement: true,
    connections,
    duration: seconds,
    headers: { 'content-type': 'text/plain', origin: SHOP, 'user-agent': UA },
  });
  return { accepted: r['2xx'], seconds, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
}

