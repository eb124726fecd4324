import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, MIGRATIONS } from '../migrations';
import { SqliteOutbox } from '../outbox';
import { firstReadableAfter } from '../salvage';
import type { CheckedOutboxEvent } from '../rowGate';

/**
 * Salvage from real outbox files damaged on a few pages: which rows are lost is
 * known before the damage (SQLite's dbstat says which rows each page holds), so
 * the test knows exactly what must come back.
 */

const PIXEL = 'CABCDEFGH12345678';
const PAGE = 4096;
const SNAPSHOT = JSON.stringify([{ websiteId: 1, name: 'Shop', pixelId: PIXEL, accessToken: '', domains: ['https://shop.example'] }]);

interface OutboxRow {
  id: number;
  event_id: string;
  state: string;
  payload: string;
  attempts: number;
  error_code: number | null;
  last_error: string | null;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salvage-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const event = (eventId: string, extra: object = {}) => ({
  pixelId: PIXEL,
  event: 'AddToCart',
  eventId,
  source: 'browser' as const,
  row: { event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000, properties: { description: `row ${eventId}` }, ...extra },
});

/** 3,000 waiting events (the last 100 in flight), 100 delivered, 50 dead letters, claims, a snapshot; closed and checkpointed. */
function writeOutbox(file: string): void {
  const outbox = new SqliteOutbox(file);
  const queue = outbox.immediate.events;
  queue.enqueue(Array.from({ length: 3150 }, (_, i) => event(`e-${i}`)), 1000);
  const lane = { pixelId: PIXEL, testEventCode: '' };
  const delivered = queue.claim(lane, 2000, 100);
  queue.markDelivered(delivered.map((r) => r.id), 3000);
  const dead = queue.claim(lane, 2000, 50);
  queue.markDead(dead.map((r) => r.id), 40002, 'Invalid parameter', 3000);
  queue.claim(lane, 2000, 100); // in flight when the file broke
  outbox.immediate.purchaseClaims.enqueueClaims(Array.from({ length: 10 }, (_, i) => ({ orderId: i + 1, event: { ...event(`purchase-${i}`), event: 'Purchase', source: 'server' } as CheckedOutboxEvent })), 4000);
  outbox.immediate.sourceClaims.enqueueClaims(Array.from({ length: 5 }, (_, i) => ({ event: { ...event(`lead-${i}`), pixelId: 'crm:123', event: 'Lead', source: 'server' } as CheckedOutboxEvent })), 4000);
  outbox.immediate.settingsSnapshot.save(SNAPSHOT, 4000);
  void outbox.close();
}

function rowsOf(file: string): OutboxRow[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id, event_id, state, payload, attempts, error_code, last_error FROM outbox ORDER BY id').all() as OutboxRow[];
  } finally {
    db.close();
  }
}

/** The rowids each leaf page of the outbox table holds (dbstat gives the pages, a walk of the table in order gives the rows). */
function rowsByLeaf(file: string): Map<number, number[]> {
  const db = new Database(file, { readonly: true });
  try {
    const leaves = db.prepare(`SELECT pageno, ncell FROM dbstat WHERE name = 'outbox' AND pagetype = 'leaf' ORDER BY path`).all() as Array<{ pageno: number; ncell: number }>;
    const ids = (db.prepare('SELECT id FROM outbox ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id);
    const byLeaf = new Map<number, number[]>();
    let at = 0;
    for (const leaf of leaves) {
      byLeaf.set(leaf.pageno, ids.slice(at, at + leaf.ncell));
      at += leaf.ncell;
    }
    expect(at).toBe(ids.length);
    return byLeaf;
  } finally {
    db.close();
  }
}

function damage(file: string, pages: number[]): void {
  const fd = fs.openSync(file, 'r+');
  for (const page of pages) fs.writeSync(fd, Buffer.alloc(PAGE, 0xa5), 0, PAGE, (page - 1) * PAGE);
  fs.closeSync(fd);
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('salvage of a damaged outbox', () => {
  it('keeps every row of the sound pages as it was, counts what was lost, and leaves the damaged file untouched', () => {
    const file = path.join(dir, 'damaged.sqlite');
    writeOutbox(file);
    const before = rowsOf(file);
    const byLeaf = rowsByLeaf(file);
    const leaves = [...byLeaf.keys()];
    const damaged = [leaves[Math.floor(leaves.length / 4)], leaves[Math.floor(leaves.length / 2)], leaves[Math.floor((3 * leaves.length) / 4)]];
    const lostIds = new Set(damaged.flatMap((page) => byLeaf.get(page)!));
    expect(lostIds.size).toBeGreaterThan(30);
    damage(file, damaged);
    const damagedHash = sha256(file);

    const fresh = new SqliteOutbox(path.join(dir, 'fresh.sqlite'));
    const report = fresh.salvageFrom(file);
    void fresh.close();

    const expected = before.filter((r) => !lostIds.has(r.id));
    const lostWaiting = before.filter((r) => lostIds.has(r.id) && (r.state === 'pending' || r.state === 'in_flight')).length;
    // Every readable row, unchanged but for a send under way that is pending again; nothing else.
    expect(rowsOf(path.join(dir, 'fresh.sqlite'))).toEqual(expected.map((r) => ({ ...r, state: r.state === 'in_flight' ? 'pending' : r.state })));
    expect(report).toEqual({
      events: {
        pending: expected.filter((r) => r.state === 'pending' || r.state === 'in_flight').length,
        delivered: expected.filter((r) => r.state === 'delivered').length,
        dead: expected.filter((r) => r.state === 'dead').length,
      },
      purchaseClaims: 10,
      sourceClaims: 5,
      settingsSnapshot: true,
      unreadableStretches: 3,
      invalidRows: 0,
      lostWaiting,
    });
    expect(sha256(file)).toBe(damagedHash);
    // The copy it read is gone.
    expect(fs.readdirSync(dir).filter((name) => name.includes('.reading-'))).toEqual([]);
  });

  it('carries claims and the settings snapshot over, and gives new events ids the old file never used', () => {
    const file = path.join(dir, 'damaged.sqlite');
    writeOutbox(file);
    const lastId = Math.max(...rowsOf(file).map((r) => r.id));
    const byLeaf = rowsByLeaf(file);
    const lastLeaf = [...byLeaf.keys()].at(-1)!;
    damage(file, [lastLeaf]); // the newest rows, the highest id among them
    const fresh = new SqliteOutbox(path.join(dir, 'fresh.sqlite'));
    fresh.salvageFrom(file);
    expect(fresh.immediate.settingsSnapshot.load()).toBe(SNAPSHOT);
    expect(fresh.immediate.events.enqueue([event('after')], 5000)).toEqual([true]);
    void fresh.close();
    const after = rowsOf(path.join(dir, 'fresh.sqlite')).find((r) => r.event_id === 'after')!;
    expect(after.id).toBe(lastId + 1);
    const db = new Database(path.join(dir, 'fresh.sqlite'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM purchase_claims').get()).toEqual({ n: 10 });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM source_claims WHERE pixel_id = 'crm:123'`).get()).toEqual({ n: 5 });
    db.close();
  });

  it('reads a file of an earlier schema version (claims without their reported outcome) and fills the defaults', () => {
    const file = path.join(dir, 'v2.sqlite');
    const db = new Database(file);
    migrate(db, file, MIGRATIONS.slice(0, 2));
    const insert = db.prepare(
      `INSERT INTO outbox (pixel_id, event, event_id, source, payload, event_time, next_attempt_at, created_at) VALUES (?, 'AddToCart', ?, 'browser', ?, 1732500000, 1000, 1000)`,
    );
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(PIXEL, `old-${i}`, JSON.stringify(event(`old-${i}`).row));
    })();
    db.prepare(`INSERT INTO purchase_claims (order_id, pixel_id, event, event_id, claimed_at) VALUES (7, ?, 'Purchase', 'purchase-so-7', 1000)`).run(PIXEL);
    db.close();
    const byLeaf = rowsByLeaf(file);
    const page = [...byLeaf.keys()][5];
    damage(file, [page]);

    const fresh = new SqliteOutbox(path.join(dir, 'fresh.sqlite'));
    const report = fresh.salvageFrom(file);
    expect(report).toMatchObject({ events: { pending: 2000 - byLeaf.get(page)!.length }, purchaseClaims: 1, sourceClaims: 0, unreadableStretches: 1 });
    expect(fresh.immediate.purchaseClaims.settledClaims(10)).toEqual([]);
    void fresh.close();
  });

  it('reads nothing of a file a newer release wrote, and says so', () => {
    const file = path.join(dir, 'newer.sqlite');
    void new SqliteOutbox(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const fresh = new SqliteOutbox(path.join(dir, 'fresh.sqlite'));
    expect(fresh.salvageFrom(file)).toMatchObject({ events: { pending: 0 }, unreadable: expect.stringContaining('newer release') });
    void fresh.close();
  });
});

describe('firstReadableAfter', () => {
  it('finds the end of an unreadable stretch in a few dozen reads, whatever its length', () => {
    for (const [start, end] of [
      [10, 11],
      [10, 40],
      [1000, 5_000_000],
    ]) {
      let reads = 0;
      const readsAfter = (rowid: number) => (reads++, rowid < start || rowid >= end);
      expect(firstReadableAfter(start - 1, readsAfter)).toBe(end);
      expect(reads).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(end - start + 2)) + 2);
    }
  });

  it('says when nothing past the failure reads at all', () => {
    expect(firstReadableAfter(5, () => false)).toBeUndefined();
  });
});
