/**
 * A real full disk under the outbox: a small tmpfs (mounting one needs root, as CI
 * runs; elsewhere the test says why it is skipped), filled to the last byte while
 * 1,000 events wait for a TikTok that answers 5xx. /healthz must say so at once and
 * keep saying so on a quiet shop (a small write still fits in the WAL's slack, so
 * a probe alone would say ok); the dispatcher must back off with a line or two,
 * not a stack trace per attempt; once room is made everything is delivered.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeEventsApi, type FakeEventsApi } from '../support/fakeEventsApi';
import { exited, freePort, OPS_AUTH, spawnSidecar, waitForHttp } from '../helpers/process';
import { BROWSER_UA, PIXEL, relayEvent, SHOP } from '../helpers/sidecar';
import { until } from '../helpers/until';

const TOKEN = 'test-access-token-0001';
const EVENTS = 1000;

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN). */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const mountable = canMountTmpfs();
if (!mountable) console.warn('fullDisk.test.ts: skipped, mounting a tmpfs needs root (CI runs as root)');


/** Writes zeros into `file` until the filesystem has no byte left. */
function fillUp(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
}

(mountable ? describe : describe.skip)('the outbox on a disk that fills up', () => {
  let dir: string;
  let api: FakeEventsApi;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir]);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (child) await exited(child);
    await api?.close();
    execFileSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('/healthz stays not ok while the disk is full, idle or not; the dispatcher backs off quietly; all is delivered once room is made', async () => {
    api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN }, stickyFault: 'server_error' });
    const port = await freePort();
    const output: string[] = [];
    child = spawnSidecar(
      {
        RELAY_PORT: String(port),
        OUTBOX_PATH: path.join(dir, 'outbox.sqlite'),
        OUTBOX_MIN_FREE_MB: '1',
        TIKTOK_PIXEL_ID: PIXEL,
        TIKTOK_ACCESS_TOKEN: TOKEN,
        TIKTOK_API_BASE_URL: api.baseUrl,
        RELAY_ALLOWED_ORIGINS: SHOP,
        RELAY_RATE_LIMIT_PER_MINUTE: '0',
        RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '0',
        RETRY_BASE_MS: '10',
        RETRY_MAX_MS: '100',
        LOG_LEVEL: 'info',
      },
      output,
      { bundled: true },
    );
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/healthz`);
    const relay = (events: unknown[]) =>
      fetch(`${base}/tiktok/relay`, { method: 'POST', headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA }, body: JSON.stringify(events) });
    const events = Array.from({ length: EVENTS }, (_, i) => relayEvent({ event_id: `full-${i}`, properties: { description: 'x'.repeat(300) } }));
    for (let i = 0; i < EVENTS; i += 20) expect((await relay(events.slice(i, i + 20))).status).toBe(202);
    const health = async () => {
      const res = await fetch(`${base}/healthz`, { headers: OPS_AUTH });
      return { status: res.status, body: (await res.json()) as { status: string; outboxDisk: { freeMb: number | null; error?: string } } };
    };
    expect((await health()).status).toBe(200);

    fillUp(path.join(dir, 'filler'));
    const logsBefore = output.join('').split('\n').length;
    const atOnce = await health();
    expect(atOnce.status).toBe(503);
    expect(atOnce.body).toMatchObject({ status: 'outbox_unwritable', outboxDisk: { freeMb: 0, error: expect.stringContaining('disk full') } });
    // A quiet shop: no relay for longer than the probe's idle time (10 s).
    await new Promise((r) => setTimeout(r, 11_000));
    const quiet = await health();
    expect([quiet.status, quiet.body.status]).toEqual([503, 'outbox_unwritable']);
    const during = output.join('').split('\n').slice(logsBefore - 1).filter(Boolean);
    expect(during.filter((l) => l.includes('"stack"'))).toEqual([]);
    expect(during.length).toBeLessThanOrEqual(4);

    fs.unlinkSync(path.join(dir, 'filler'));
    await until(async () => (await health()).status === 200, 20_000);
    expect((await relay([relayEvent({ event_id: 'after-room' })])).status).toBe(202);
    api.setStickyFault();
    await until(() => new Set(api.delivered.map((d) => d.row.event_id)).size === EVENTS + 1, 20_000);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    child = undefined;
  }, 90_000);
});
