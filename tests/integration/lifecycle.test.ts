/**
 * The sidecar's process as an operator meets it: a stop while a batch is on the
 * wire, an impatient second signal, a port already taken, a misspelt variable.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startFakeEventsApi, type FakeEventsApi } from '../support/fakeEventsApi';
import { exited, freePort, spawnSidecar, waitForHttp } from '../helpers/process';
import { BROWSER_UA, PIXEL, relayEvent, SHOP } from '../helpers/sidecar';
import { until } from '../helpers/until';

const TOKEN = 'test-access-token-0001';
const EVENTS = 20;


function statesIn(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state').all() as Array<{ state: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  } finally {
    db.close();
  }
}

describe('the sidecar process', () => {
  let dir: string;
  let api: FakeEventsApi;
  let child: ChildProcess | undefined;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-'));
    api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN }, slowMs: 1500 });
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    if (child) await exited(child);
    child = undefined;
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const envFor = (port: number, extra: Record<string, string> = {}) => ({
    RELAY_PORT: String(port),
    OUTBOX_PATH: path.join(dir, 'outbox.sqlite'),
    TIKTOK_PIXEL_ID: PIXEL,
    TIKTOK_ACCESS_TOKEN: TOKEN,
    TIKTOK_API_BASE_URL: api.baseUrl,
    TIKTOK_TIMEOUT_MS: '20000',
    RELAY_ALLOWED_ORIGINS: SHOP,
    LOG_LEVEL: 'info',
    ...extra,
  });

  async function startWithBatchOnTheWire(extra: Record<string, string> = {}, output: string[] = []): Promise<number> {
    const port = await freePort();
    child = spawnSidecar(envFor(port, extra), output, { bundled: true });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    api.enqueueFaults('slow');
    const relayed = await fetch(`http://127.0.0.1:${port}/tiktok/relay`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA },
      body: JSON.stringify(Array.from({ length: EVENTS }, (_, i) => relayEvent({ event_id: `life-${i}` }))),
    });
    expect(relayed.status).toBe(202);
    await until(() => api.requests.some((r) => r.fault === 'slow' && r.answeredAt === undefined));
    return port;
  }

  it('SIGTERM while a batch is on the wire: waits for its answer, records it, exits 0', async () => {
    const output: string[] = [];
    await startWithBatchOnTheWire({ RELAY_MAX_BODY: '131072' }, output);
    child!.kill('SIGTERM');
    expect(await exited(child!)).toBe(0);
    child = undefined;
    expect(new Set(api.delivered.map((d) => d.row.event_id)).size).toBe(EVENTS);
    expect(statesIn(path.join(dir, 'outbox.sqlite'))).toEqual({ delivered: EVENTS });
    // A misspelt variable is named at start (its default stays in force).
    expect(output.join('')).toContain('configuration: RELAY_MAX_BODY is not a setting of the sidecar and is ignored');
  }, 60_000);

  it('a second signal ends the process at once; the next start sends what was on the wire, once', async () => {
    await api.close();
    api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN }, slowMs: 15_000 });
    await startWithBatchOnTheWire();
    child!.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    child!.kill('SIGTERM');
    expect(await exited(child!)).toBe(1);
    child = undefined;
    // The answer to the batch reached nobody: TikTok's fake counts nothing delivered.
    expect(statesIn(path.join(dir, 'outbox.sqlite'))).toEqual({ in_flight: EVENTS });

    const port = await freePort();
    child = spawnSidecar(envFor(port), [], { bundled: true });
    await until(() => new Set(api.delivered.map((d) => d.row.event_id)).size === EVENTS, 30_000);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    child = undefined;
    expect(api.delivered.filter((d) => String(d.row.event_id).startsWith('life-'))).toHaveLength(EVENTS);
  }, 90_000);

  it('a port already taken: one line naming the variables and the cause, exit 71', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const output: string[] = [];
      child = spawnSidecar(envFor(port), output, { bundled: true });
      expect(await exited(child)).toBe(71);
      child = undefined;
      expect(output.join('')).toContain(`cannot listen on 127.0.0.1:${port} (RELAY_HOST, RELAY_PORT): EADDRINUSE: another process listens on that port`);
      expect(output.join('')).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      taken.close();
    }
  }, 30_000);
});
