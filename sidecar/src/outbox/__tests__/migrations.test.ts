import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../log';
import { migrate, MIGRATIONS, OutboxTooNewError } from '../migrations';
import { openOutbox, OutboxOpenError } from '../openOutbox';
import { SqliteOutbox } from '../outbox';

/**
 * The schema the first release ran at every start, kept as a fixture file rather
 * than read from git: CI may clone without history, and this must stay what was
 * shipped whatever later commits do.
 */
const FIRST_RELEASE_SCHEMA = fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'outbox', 'first-release-schema.sql'), 'utf8').replace(/^--.*\n/gm, '');

const PIXEL = 'CABCDEFGH12345678';
const LANE = { pixelId: PIXEL, testEventCode: '' };
const SNAPSHOT = JSON.stringify([{ websiteId: 1, name: 'Shop', pixelId: PIXEL, accessToken: '', domains: ['https://shop.example'] }]);
const LATEST = MIGRATIONS.length;

const row = (eventId: string, extra: object = {}) => JSON.stringify({ event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000, ...extra });

/**
 * An outbox as the first release left it: its schema, user_version 0, and rows in
 * every state: waiting, in flight when the process died, delivered, a dead letter
 * with personal data, a claimed Purchase not yet sent, and a settings snapshot.
 */
function writeFirstReleaseOutbox(file: string, extraSql = ''): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(FIRST_RELEASE_SCHEMA + extraSql);
  const insert = db.prepare(
    `INSERT INTO outbox (pixel_id, event, event_id, source, payload, event_time, state, attempts, next_attempt_at, error_code, last_error, created_at, delivered_at)
     VALUES (?, ?, ?, ?, ?, 1732500000, ?, ?, ?, ?, ?, 1000, ?)`,
  );
  insert.run(PIXEL, 'AddToCart', 'waiting', 'browser', row('waiting'), 'pending', 1, 2000, null, 'server_error: HTTP 503', null);
  insert.run(PIXEL, 'AddToCart', 'in-flight', 'browser', row('in-flight'), 'in_flight', 1, 1000, null, null, null);
  insert.run(PIXEL, 'AddToCart', 'delivered', 'browser', '{}', 'delivered', 1, 1000, null, null, 1500);
  insert.run(PIXEL, 'AddToCart', 'dead', 'browser', row('dead', { user: { ip: '203.0.113.7' } }), 'dead', 1, 1000, 40002, 'Invalid parameter', 1500);
  insert.run(PIXEL, 'Purchase', 'purchase-so-7', 'server', row('purchase-so-7'), 'pending', 0, 1000, null, null, null);
  db.prepare(`INSERT INTO purchase_claims (order_id, pixel_id, event, event_id, claimed_at) VALUES (7, ?, 'Purchase', 'purchase-so-7', 1000)`).run(PIXEL);
  db.prepare(`INSERT INTO settings_snapshot (id, json, saved_at) VALUES (1, ?, 1000)`).run(SNAPSHOT);
  db.close();
}

/** Every table and index with its SQL: what a file's schema is, whatever its history. */
function schemaOf(file: string): { type: string; name: string; sql: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { type: string; name: string; sql: string }[];
  } finally {
    db.close();
  }
}

function userVersion(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('outbox migrations', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    file = path.join(dir, 'outbox.sqlite');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps the first step as the first release wrote its schema', () => {
    expect(MIGRATIONS[0].trim()).toBe(FIRST_RELEASE_SCHEMA.trim());
  });

  it('upgrades an outbox of the first release in place: every row is there and goes on to its end', async () => {
    writeFirstReleaseOutbox(file);
    expect(userVersion(file)).toBe(0);

    const outbox = new SqliteOutbox(file);
    try {
      const { events, purchaseClaims, settingsSnapshot } = outbox.immediate;
      expect(events.counts()).toEqual({ pending: 2, in_flight: 1, delivered: 1, dead: 1 });
      expect(settingsSnapshot.load()).toBe(SNAPSHOT);
      expect(events.deadLetters(10)).toEqual([expect.objectContaining({ eventId: 'dead', errorCode: 40002, lastError: 'Invalid parameter' })]);

      // The row in flight when the old process stopped is sent again, with the waiting ones.
      expect(events.releaseInFlight()).toBe(1);
      expect(events.dueLanes(2000)).toEqual([{ ...LANE, lane: { eventSource: 'web', eventSourceId: LANE.pixelId }, due: 3, oldestDueAt: 1000 }]);
      const claimed = events.claim(LANE, 2000, 10);
      expect(claimed.map((e) => [e.eventId, e.attempts])).toEqual([['waiting', 2], ['in-flight', 2], ['purchase-so-7', 1]]);
      expect(claimed.map((e) => JSON.parse(e.payload).event_id)).toEqual(['waiting', 'in-flight', 'purchase-so-7']);
      events.markDelivered(claimed.map((e) => e.id), 3000);

      // The claimed Purchase settles, is reported, and its row goes once past retention.
      expect(purchaseClaims.settledClaims(10)).toEqual([{ orderId: 7, outcome: 'delivered' }]);
      purchaseClaims.markReported([7], 'delivered');
      expect(events.prune(4000)).toBe(4);

      // What this release added works on the old file: the scrub of old dead letters, the write probe.
      expect(events.scrubDeadLetters(2000, 10)).toBe(1);
      await expect(outbox.probeWrite(5000)).resolves.toBeUndefined();
      expect(events.requeueDead(6000)).toBe(1);
      expect(JSON.parse(events.claim(LANE, 6000, 10)[0].payload)).not.toHaveProperty('user');
    } finally {
      void outbox.close();
    }

    expect(userVersion(file)).toBe(LATEST);
    expect(schemaOf(file).map((o) => `${o.type} ${o.name}`)).toEqual([
      'table lane_holds',
      'table outbox',
      'index outbox_dead',
      'index outbox_delivered',
      'index outbox_due',
      'index outbox_in_flight',
      'index outbox_next',
      'table pixel_request_windows',
      'table purchase_claims',
      'table settings_snapshot',
      'table source_claims',
      'table write_probe',
    ]);
    const fresh = path.join(dir, 'fresh.sqlite');
    void new SqliteOutbox(fresh).close();
    expect(schemaOf(file)).toEqual(schemaOf(fresh));
  });

  it('keeps the claim of a refused Purchase of an upgraded file until its delivery, sent again, is reported', () => {
    writeFirstReleaseOutbox(file);
    const outbox = new SqliteOutbox(file);
    try {
      const { events, purchaseClaims } = outbox.immediate;
      const purchase = events.claim(LANE, 2000, 10).find((e) => e.eventId === 'purchase-so-7')!;
      events.markDead([purchase.id], 40002, 'Invalid parameter', 2500);
      expect(purchaseClaims.settledClaims(10)).toEqual([{ orderId: 7, outcome: 'dead' }]);
      purchaseClaims.markReported([7], 'dead');
      expect(purchaseClaims.settledClaims(10)).toEqual([]);

      expect(events.deadLetters(10).map((d) => [d.eventId, d.deadAt])).toEqual([['purchase-so-7', 2500], ['dead', 1500]]);
      expect(events.requeueDeadLetters([purchase.id], 3000)).toBe(1);
      const again = events.claim(LANE, 3000, 10).find((e) => e.eventId === 'purchase-so-7')!;
      expect(again.attempts).toBe(1);
      events.markDelivered([again.id], 3500);
      expect(purchaseClaims.settledClaims(10)).toEqual([{ orderId: 7, outcome: 'delivered' }]);
      purchaseClaims.markReported([7], 'delivered');
      expect(purchaseClaims.settledClaims(10)).toEqual([]);
    } finally {
      void outbox.close();
    }
  });

  it('upgrades an outbox of the previous version (4): its waiting rows are held with their lane, and claimed once the hold ends', () => {
    const old = new Database(file);
    migrate(old, file, MIGRATIONS.slice(0, 4));
    old.prepare(`INSERT INTO outbox (pixel_id, event, event_id, source, payload, event_time, next_attempt_at, created_at) VALUES (?, 'AddToCart', 'waiting', 'browser', ?, 1732500000, 1000, 1000)`).run(PIXEL, row('waiting'));
    old.close();
    expect(userVersion(file)).toBe(4);

    const outbox = new SqliteOutbox(file);
    try {
      const { events } = outbox.immediate;
      expect(events.laneHolds()).toEqual([]);
      events.holdLane(LANE, () => ({ until: 5000, reason: 'request_refused', code: 40002, message: 'm', streak: 1, since: 2000, tokenFingerprint: '' }));
      expect(events.claim(LANE, 4999, 10)).toEqual([]);
      expect(events.claim(LANE, 5000, 10).map((e) => e.eventId)).toEqual(['waiting']);
    } finally {
      void outbox.close();
    }
    expect(userVersion(file)).toBe(LATEST);
  });

  it('upgrades a file whose probe table and dead-letter index were made on first use, before versions', () => {
    writeFirstReleaseOutbox(
      file,
      `CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
       CREATE INDEX IF NOT EXISTS outbox_dead ON outbox (delivered_at) WHERE state = 'dead';`,
    );
    const outbox = new SqliteOutbox(file);
    expect(outbox.immediate.events.counts()).toEqual({ pending: 2, in_flight: 1, delivered: 1, dead: 1 });
    void outbox.close();
    expect(userVersion(file)).toBe(LATEST);
  });

  it('numbers a new outbox, in a file or in memory, with the latest version', () => {
    void new SqliteOutbox(file).close();
    expect(userVersion(file)).toBe(LATEST);
    const memory = new SqliteOutbox(':memory:');
    try {
      expect((memory as unknown as { db: Database.Database }).db.pragma('user_version', { simple: true })).toBe(LATEST);
      expect(memory.immediate.events.enqueue([{ pixelId: PIXEL, event: 'AddToCart', eventId: 'm', source: 'browser', row: JSON.parse(row('m')) }], 1000)).toEqual([true]);
    } finally {
      void memory.close();
    }
  });

  it('applies each step once: opening a current file again changes nothing', () => {
    const steps = ['CREATE TABLE applied (step INTEGER NOT NULL)', 'INSERT INTO applied VALUES (2)', 'INSERT INTO applied VALUES (3)'];
    const db = new Database(file);
    try {
      migrate(db, file, steps.slice(0, 2));
      migrate(db, file, steps.slice(0, 2));
      migrate(db, file, steps);
      migrate(db, file, steps);
      expect(db.prepare('SELECT step FROM applied ORDER BY step').pluck().all()).toEqual([2, 3]);
      expect(db.pragma('user_version', { simple: true })).toBe(3);
    } finally {
      db.close();
    }

    const real = path.join(dir, 'real.sqlite');
    void new SqliteOutbox(real).close();
    const before = fs.readFileSync(real);
    void new SqliteOutbox(real).close();
    expect(fs.readFileSync(real).equals(before)).toBe(true);
    expect(userVersion(real)).toBe(LATEST);
  });

  it('does not apply again a step another process applied after the version was first read', () => {
    const steps = ['CREATE TABLE applied (step INTEGER NOT NULL)', 'INSERT INTO applied VALUES (2)'];
    const other = new Database(file);
    migrate(other, file, steps);
    other.close();
    const db = new Database(file);
    try {
      // The read before the write lock saw the file as it was before the other process's migration.
      jest.spyOn(db, 'pragma').mockImplementationOnce(() => 0);
      migrate(db, file, steps);
      expect(db.prepare('SELECT step FROM applied').pluck().all()).toEqual([2]);
    } finally {
      db.close();
    }
  });

  it('applies a step whole or not at all, with its version', () => {
    const db = new Database(file);
    try {
      const steps = ['CREATE TABLE first (x)', 'CREATE TABLE second (x); INSERT INTO missing VALUES (1)'];
      expect(() => migrate(db, file, steps)).toThrow(/no such table: missing/);
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all()).toEqual(['first']);
    } finally {
      db.close();
    }
  });

  it('refuses a file of a newer release and leaves it as it is', () => {
    void new SqliteOutbox(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST + 1}`);
    db.pragma('journal_mode = DELETE'); // another release may have chosen another journal: not this sidecar's to change
    db.close();
    const before = fs.readFileSync(file);

    expect(() => new SqliteOutbox(file)).toThrow(OutboxTooNewError);
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    let error: unknown;
    try {
      void openOutbox(file, {}, { log, onMovedAside: () => lines.push('moved') }).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OutboxOpenError);
    expect(error).toMatchObject({
      corrupt: false,
      message: `the outbox ${file} has schema version ${LATEST + 1}, newer than this sidecar knows (${LATEST}): a newer release wrote it. Run that release (or a later one); the file was left as it is.`,
    });
    expect(lines).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(userVersion(file)).toBe(LATEST + 1);
  });
});
