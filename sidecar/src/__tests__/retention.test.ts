import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { PIXEL, website } from '../../../tests/helpers/sidecar';
import { loadConfig } from '../config';
import { createLogger } from '../log';
import { Metrics } from '../metrics';
import { SqliteOutbox } from '../outbox/outbox';
import { createSidecar } from '../server';
import { StaticSettings } from '../settings/static';

const HOUR = 3600_000;
const EMAIL_HASH = 'd'.repeat(64);

describe('retention pass at start', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('scrubs dead letters older than OUTBOX_RETENTION_HOURS and logs how many, without their content', async () => {
    const file = path.join(dir, 'outbox.sqlite');
    const seed = new SqliteOutbox(file);
    const now = Date.now();
    const row = (id: string) => ({
      event: 'ViewContent',
      event_id: id,
      event_time: Math.floor(now / 1000),
      user: { email: EMAIL_HASH, ip: '198.51.100.23', user_agent: 'Mozilla/5.0 Firefox/133.0' },
      page: { url: 'https://shop.example/shop/desk?utm_campaign=spring' },
    });
    seed.immediate.events.enqueue(
      ['old-1', 'old-2', 'recent'].map((id) => ({ pixelId: PIXEL, event: 'ViewContent', eventId: id, source: 'browser' as const, row: row(id) })),
      now - 3 * HOUR,
    );
    const claimed = seed.immediate.events.claim({ pixelId: PIXEL, testEventCode: '' }, now, 10);
    const id = (eventId: string) => claimed.find((r) => r.eventId === eventId)!.id;
    seed.immediate.events.markDead([id('old-1'), id('old-2')], 40002, 'Invalid parameter', now - 2 * HOUR);
    seed.immediate.events.markDead([id('recent')], 40002, 'Invalid parameter', now - HOUR / 2);
    void seed.close();

    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const cfg = loadConfig({ OUTBOX_PATH: file, RELAY_PORT: '0', OUTBOX_RETENTION_HOURS: '1', LOG_LEVEL: 'info' });
    const sidecar = createSidecar(cfg, {
      log: createLogger('info', sink),
      metrics: new Metrics(),
      outbox: new SqliteOutbox(file),
      settings: new StaticSettings([website()]),
    });
    await sidecar.start();
    try {
      const deadline = Date.now() + 5000;
      while (!lines.some((l) => l.includes('dead letters past retention')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await sidecar.stop();
    }

    const scrubLines = lines.map((l) => JSON.parse(l)).filter((l) => String(l.msg).includes('dead letters past retention'));
    expect(scrubLines).toEqual([expect.objectContaining({ level: 30, scrubbed: 2 })]);
    expect(lines.join('')).not.toMatch(/198\.51\.100\.23|Firefox|utm_campaign|dddddddd/);

    const db = new Database(file, { readonly: true });
    const payloads = Object.fromEntries(
      (db.prepare('SELECT event_id, payload FROM outbox').all() as { event_id: string; payload: string }[]).map((r) => [r.event_id, JSON.parse(r.payload)]),
    );
    db.close();
    expect(payloads['old-1']).not.toHaveProperty('user');
    expect(payloads['old-2'].page).toEqual({ url: 'https://shop.example/shop/desk' });
    expect(payloads.recent.user).toEqual({ email: EMAIL_HASH, ip: '198.51.100.23', user_agent: 'Mozilla/5.0 Firefox/133.0' });
  });
});
