/**
 * The outbox file as the `serve` and `dead-letters` commands meet it: a corrupt file
 * is moved aside once and the sidecar runs on a fresh one; a file it may not read, or
 * one of a newer release, is left alone with a clear message; dead letters are listed
 * without personal data.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { MIGRATIONS } from '../../sidecar/src/outbox/migrations';
import { SqliteOutbox } from '../../sidecar/src/outbox/outbox';
import { exited, freePort, OPS_AUTH, spawnSidecar, TEST_OPS_TOKEN, waitForHttp } from '../helpers/process';
import { startFakeEventsApi } from '../support/fakeEventsApi';
import { BROWSER_UA, PIXEL, relayEvent, SHOP } from '../helpers/sidecar';

const TOKEN = 'test-access-token-0001';
/** Who runs the sidecar when the test runs as root, for whom file permissions mean nothing. */
const NOBODY = { uid: 65534, gid: 65534 };

describe('the outbox file', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-file-'));
    fs.chmodSync(dir, 0o777); // the directory is not what stops anyone here
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const envFor = (port: number, file: string) => ({
    RELAY_PORT: String(port),
    OUTBOX_PATH: file,
    TIKTOK_PIXEL_ID: PIXEL,
    TIKTOK_ACCESS_TOKEN: TOKEN,
    TIKTOK_API_BASE_URL: 'http://127.0.0.1:9/open_api',
    RELAY_ALLOWED_ORIGINS: SHOP,
    LOG_LEVEL: 'info',
  });

  it('a file of garbage is moved aside with one error, counted, and the sidecar serves on a fresh outbox', async () => {
    const file = path.join(dir, 'outbox.sqlite');
    const garbage = randomBytes(32 * 1024);
    fs.writeFileSync(file, garbage);
    const port = await freePort();
    const output: string[] = [];

    child = spawnSidecar(envFor(port, file), output, { bundled: true });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    const relayed = await fetch(`http://127.0.0.1:${port}/tiktok/relay`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA },
      body: JSON.stringify(relayEvent({ event_id: 'after-move' })),
    });
    expect(relayed.status).toBe(202);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: OPS_AUTH })).text();
    expect(metrics).toMatch(/^tiktok_outbox_corrupt_total 1$/m);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);

    const moved = fs.readdirSync(dir).filter((f) => f.startsWith('outbox.sqlite.corrupt-'));
    expect(moved).toEqual([expect.stringMatching(/^outbox\.sqlite\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/)]);
    expect(fs.readFileSync(path.join(dir, moved[0])).equals(garbage)).toBe(true);
    const logged = output.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const errors = logged.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toContain(path.join(dir, moved[0]));
    // The start line says how metrics are served, never with what.
    expect(output.join('')).toContain('"metrics":"/metrics with the bearer token"');
    expect(output.join('')).not.toContain(TEST_OPS_TOKEN);

    // The next start finds a sound outbox: nothing moved again, and the event is still there.
    const again: string[] = [];
    child = spawnSidecar(envFor(port, file), again, { bundled: true });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    const health = await (await fetch(`http://127.0.0.1:${port}/healthz`, { headers: OPS_AUTH })).json();
    expect(health.outbox.pending + health.outbox.in_flight).toBe(1);
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: OPS_AUTH })).text()).toMatch(/^tiktok_outbox_corrupt_total 0$/m);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toEqual(moved);
    expect(again.join('')).not.toMatch(/"level":5\d/);
  }, 30_000);

  it('an outbox damaged on a few pages: the readable waiting events are read back and delivered, the lost ones counted', async () => {
    const file = path.join(dir, 'outbox.sqlite');
    const outbox = new SqliteOutbox(file);
    const eventTime = Math.floor(Date.now() / 1000) - 60;
    outbox.immediate.events.enqueue(
      Array.from({ length: 3000 }, (_, i) => ({ pixelId: PIXEL, event: 'AddToCart', eventId: `waiting-${i}`, source: 'browser' as const, row: { event: 'AddToCart', event_id: `waiting-${i}`, event_time: eventTime } })),
      Date.now(),
    );
    void outbox.close();
    // Three leaf pages of the outbox table, and the events they hold: those are lost, every other one must arrive.
    const db = new Database(file, { readonly: true });
    const leaves = db.prepare(`SELECT pageno, ncell FROM dbstat WHERE name = 'outbox' AND pagetype = 'leaf' ORDER BY path`).all() as Array<{ pageno: number; ncell: number }>;
    const ids = (db.prepare('SELECT event_id FROM outbox ORDER BY id').all() as Array<{ event_id: string }>).map((r) => r.event_id);
    db.close();
    const damaged = new Set([10, 40, 70].map((i) => leaves[i].pageno));
    const lost = new Set<string>();
    let at = 0;
    for (const leaf of leaves) {
      if (damaged.has(leaf.pageno)) ids.slice(at, at + leaf.ncell).forEach((id) => lost.add(id));
      at += leaf.ncell;
    }
    const fd = fs.openSync(file, 'r+');
    for (const page of damaged) fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, (page - 1) * 4096);
    fs.closeSync(fd);

    const api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN } });
    try {
      const port = await freePort();
      const output: string[] = [];
      child = spawnSidecar({ ...envFor(port, file), TIKTOK_API_BASE_URL: api.baseUrl }, output, { bundled: true });
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      const expected = ids.filter((id) => !lost.has(id));
      const deadline = Date.now() + 20_000;
      while (new Set(api.delivered.map((d) => d.row.event_id)).size < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(new Set(api.delivered.map((d) => d.row.event_id))).toEqual(new Set(expected));
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: OPS_AUTH })).text();
      expect(metrics).toMatch(/^tiktok_outbox_corrupt_total 1$/m);
      expect(metrics).toContain(`tiktok_outbox_salvaged_events_total ${expected.length}`);
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      const corrupt = output.join('').split('\n').filter((l) => l.includes('OUTBOX CORRUPT')).map((l) => JSON.parse(l));
      expect(corrupt).toHaveLength(1);
      expect(corrupt[0].msg).toContain(`${expected.length} waiting events`);
      expect(corrupt[0].msg).toContain(`${lost.size} waiting events lost`);
      expect(corrupt[0].salvaged).toMatchObject({ events: { pending: expected.length }, unreadableStretches: 3, lostWaiting: lost.size });
      // Counts, never a row.
      expect(corrupt[0].msg).not.toMatch(/waiting-\d/);
    } finally {
      await api.close();
    }
  }, 60_000);

  it('a file the sidecar may not read is left in place, and the sidecar exits saying why', async () => {
    const file = path.join(dir, 'outbox.sqlite');
    const outbox = new SqliteOutbox(file);
    outbox.immediate.events.enqueue([{ pixelId: PIXEL, event: 'AddToCart', eventId: 'kept', source: 'browser', row: { event: 'AddToCart', event_id: 'kept', event_time: 1_732_500_000 } }], 1000);
    void outbox.close();
    const before = fs.readFileSync(file);
    fs.chmodSync(file, 0o000);
    const output: string[] = [];

    child = spawnSidecar(envFor(await freePort(), file), output, { bundled: true, user: process.getuid?.() === 0 ? NOBODY : undefined });
    const code = await exited(child);
    fs.chmodSync(file, 0o600);

    expect(code).toBe(74);
    expect(output.join('')).toMatch(/cannot open the outbox .*outbox\.sqlite: .*EACCES.*The file was left in place: check that the sidecar user can read and write it/);
    expect(fs.readdirSync(dir)).toEqual(['outbox.sqlite']);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  }, 30_000);

  it('a directory the sidecar may not write to: it exits saying so, and leaves the outbox as it is', async () => {
    const file = path.join(dir, 'outbox.sqlite');
    const outbox = new SqliteOutbox(file);
    outbox.immediate.events.enqueue([{ pixelId: PIXEL, event: 'AddToCart', eventId: 'kept', source: 'browser', row: { event: 'AddToCart', event_id: 'kept', event_time: 1_732_500_000 } }], 1000);
    void outbox.close();
    fs.chmodSync(file, 0o666); // the file is writable: only its directory is not (SQLite's WAL lives beside it)
    fs.chmodSync(dir, 0o555);
    const before = fs.readFileSync(file);
    const output: string[] = [];
    try {
      child = spawnSidecar(envFor(await freePort(), file), output, { bundled: true, user: process.getuid?.() === 0 ? NOBODY : undefined });
      expect(await exited(child)).toBe(74);
    } finally {
      fs.chmodSync(dir, 0o777);
    }
    expect(output.join('')).toMatch(/cannot open the outbox .*outbox\.sqlite: .*READONLY.*check that the sidecar user can read and write it and its directory/);
    expect(fs.readdirSync(dir)).toEqual(['outbox.sqlite']);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  }, 30_000);

  it('a file of a newer release is left as it is, and the sidecar exits saying so', async () => {
    const file = path.join(dir, 'outbox.sqlite');
    void new SqliteOutbox(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const before = fs.readFileSync(file);
    const output: string[] = [];

    child = spawnSidecar(envFor(await freePort(), file), output, { bundled: true });
    expect(await exited(child)).toBe(74);
    expect(output.join('')).toContain(`the outbox ${file} has schema version ${MIGRATIONS.length + 1}, newer than this sidecar knows (${MIGRATIONS.length})`);
    expect(fs.readdirSync(dir)).toEqual(['outbox.sqlite']);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  }, 30_000);

  it('dead-letters lists code and message, never a payload', async () => {
    const file = path.join(dir, 'outbox.sqlite');
    const outbox = new SqliteOutbox(file);
    const row = {
      event: 'CompleteRegistration',
      event_id: 'dead-1',
      event_time: 1_732_500_000,
      user: { email: 'e'.repeat(64), phone: 'f'.repeat(64), ip: '192.0.2.44', user_agent: 'Mozilla/5.0 Gecko/20100101 Firefox/133.0', ttclid: 'E.C.P.secret-click' },
      page: { url: 'https://shop.example/web/signup?redirect=/my/account&login=jane%40example.com' },
    };
    outbox.immediate.events.enqueue([{ pixelId: PIXEL, event: row.event, eventId: row.event_id, source: 'browser', row }], 1000);
    const [claimed] = outbox.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, 1000, 1);
    outbox.immediate.events.markDead([claimed.id], 40002, 'Invalid value for user.email (jane@example.com)', 2000);
    void outbox.close();
    const output: string[] = [];

    child = spawnSidecar({ OUTBOX_PATH: file, LOG_LEVEL: 'info' }, output, { bundled: true, command: ['dead-letters'] });
    expect(await exited(child)).toBe(0);

    const printed = output.join('');
    expect(printed).toContain('dead-1');
    expect(printed).toContain('CompleteRegistration');
    expect(printed).toContain('40002');
    expect(printed).toContain('Invalid value for user.email ([redacted])');
    expect(printed).not.toMatch(/eeeeeeee|ffffffff|192\.0\.2\.44|Firefox|secret-click|signup|jane/);
  }, 30_000);
});
