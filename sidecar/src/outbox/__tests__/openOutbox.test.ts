import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../log';
import { isCorruption, movedAsideName, openOutbox, OutboxOpenError } from '../openOutbox';
import type { NewOutboxEvent } from '../eventQueue';
import { SqliteOutbox } from '../outbox';

const PIXEL = 'CABCDEFGH12345678';
const AT = new Date('2025-03-04T05:06:07.089Z');

function event(eventId: string): NewOutboxEvent {
  return { pixelId: PIXEL, event: 'AddToCart', eventId, source: 'browser', row: { event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000 } };
}

const PAGE = 4096;

/** The outbox table's leaf pages of a sound file and how many rows each holds (SQLite's dbstat), before it is damaged. */
function outboxLeaves(file: string): Array<{ pageno: number; ncell: number }> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT pageno, ncell FROM dbstat WHERE name = 'outbox' AND pagetype = 'leaf' ORDER BY pageno`).all() as Array<{ pageno: number; ncell: number }>;
  } finally {
    db.close();
  }
}

const sum = (leaves: Array<{ ncell: number }>) => leaves.reduce((n, leaf) => n + leaf.ncell, 0);

describe('openOutbox', () => {
  let dir: string;
  let file: string;
  let lines: string[];
  let movedAside: number;
  const recovery = () => ({
    log: createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) })),
    onMovedAside: () => (movedAside += 1),
    now: () => AT,
  });
  const aside = () => movedAsideName(file, AT);
  const entries = () => fs.readdirSync(dir).sort();

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'open-outbox-'));
    file = path.join(dir, 'outbox.sqlite');
    lines = [];
    movedAside = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The one loud line: level error, naming the moved file. */
  function expectOneErrorNaming(movedTo: string): void {
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 50, outbox: file, movedTo: expect.arrayContaining([movedTo]) });
    expect(logged[0].msg).toContain(`Moved aside to ${movedTo}`);
  }

  function expectFreshOutboxWorks(outbox: SqliteOutbox): void {
    expect(outbox.immediate.events.counts()).toEqual({ pending: 0, in_flight: 0, delivered: 0, dead: 0 });
    expect(outbox.immediate.events.enqueue([event('after')], 1000)).toEqual([true]);
  }

  it('moves a file of garbage bytes aside, with its -wal and -shm, and starts a fresh outbox', () => {
    const garbage = randomBytes(16 * 1024);
    const [wal, shm] = [randomBytes(4096), randomBytes(4096)];
    fs.writeFileSync(file, garbage);
    fs.writeFileSync(`${file}-wal`, wal);
    fs.writeFileSync(`${file}-shm`, shm);

    const outbox = openOutbox(file, {}, recovery());
    try {
      expectFreshOutboxWorks(outbox);
    } finally {
      void outbox.close();
    }
    expect(fs.readFileSync(aside()).equals(garbage)).toBe(true);
    expect(fs.readFileSync(`${aside()}-wal`).equals(wal)).toBe(true);
    expect(fs.readFileSync(`${aside()}-shm`).equals(shm)).toBe(true);
    expect(movedAside).toBe(1);
    expectOneErrorNaming(aside());
    expect(lines[0]).toMatch(/SQLITE_NOTADB/);
  });

  it('moves a truncated real outbox aside, and keeps the events of the part that is left', () => {
    const original = new SqliteOutbox(file);
    original.immediate.events.enqueue(Array.from({ length: 3000 }, (_, i) => event(`e-${i}`)), 1000);
    void original.close();
    const size = fs.statSync(file).size;
    expect(size).toBeGreaterThan(64 * 1024);
    const keptPages = Math.floor(size / PAGE / 2);
    const kept = outboxLeaves(file).filter((leaf) => leaf.pageno <= keptPages);
    fs.truncateSync(file, keptPages * PAGE);

    const outbox = openOutbox(file, {}, recovery());
    try {
      expect(outbox.immediate.events.counts()).toEqual({ pending: sum(kept), in_flight: 0, delivered: 0, dead: 0 });
      expect(sum(kept)).toBeGreaterThan(1000);
      expect(outbox.immediate.events.enqueue([event('after')], 1000)).toEqual([true]);
    } finally {
      void outbox.close();
    }
    expect(fs.statSync(aside()).size).toBe(keptPages * PAGE);
    expect(movedAside).toBe(1);
    expectOneErrorNaming(aside());
    expect(lines[0]).toMatch(/malformed|SQLITE_CORRUPT/);
  });

  it('moves aside a real outbox with a damaged page that only quick_check finds, and keeps every event of the other pages', () => {
    const original = new SqliteOutbox(file);
    original.immediate.events.enqueue(Array.from({ length: 3000 }, (_, i) => event(`e-${i}`)), 1000);
    void original.close();
    const size = fs.statSync(file).size;
    const damagedPage = Math.floor(size / 2 / PAGE) + 1;
    const lost = outboxLeaves(file).filter((leaf) => leaf.pageno === damagedPage);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(PAGE, 0xa5), 0, PAGE, (damagedPage - 1) * PAGE);
    fs.closeSync(fd);
    // The schema still reads: opening the store alone would not notice.
    void new SqliteOutbox(file).close();

    const outbox = openOutbox(file, {}, recovery());
    try {
      expect(outbox.immediate.events.counts()).toEqual({ pending: 3000 - sum(lost), in_flight: 0, delivered: 0, dead: 0 });
      expect(outbox.immediate.events.enqueue([event('after')], 1000)).toEqual([true]);
    } finally {
      void outbox.close();
    }
    expect(fs.existsSync(aside())).toBe(true);
    expect(movedAside).toBe(1);
    expectOneErrorNaming(aside());
  });

  it('moves aside a real outbox whose quick_check lists problems', () => {
    const original = new SqliteOutbox(file);
    original.immediate.events.enqueue(Array.from({ length: 3000 }, (_, i) => event(`e-${i}`)), 1000);
    void original.close();
    // Where two table leaf pages (type byte 0x0d) say their cells start: the cells fall out of range, the file still reads.
    const bytes = fs.readFileSync(file);
    const leaves = Array.from({ length: bytes.length / 4096 }, (_, page) => page).filter((page) => page >= 10 && bytes[page * 4096] === 0x0d);
    const fd = fs.openSync(file, 'r+');
    for (const page of [leaves[0], leaves[10]]) fs.writeSync(fd, Buffer.from([0x0d]), 0, 1, page * 4096 + 5);
    fs.closeSync(fd);

    const outbox = openOutbox(file, {}, recovery());
    void outbox.close();
    expect(movedAside).toBe(1);
    expectOneErrorNaming(aside());
    expect(JSON.parse(lines[0]).reason).toMatch(/^quick_check: \*\*\* in database main \*\*\*; .*out of range.* \(SQLITE_CORRUPT\)$/);
  });

  it('opens a sound outbox in place, with its events, and says nothing', () => {
    const original = new SqliteOutbox(file);
    original.immediate.events.enqueue([event('a'), event('b')], 1000);
    void original.close();

    const outbox = openOutbox(file, {}, recovery());
    try {
      expect(outbox.immediate.events.counts().pending).toBe(2);
    } finally {
      void outbox.close();
    }
    expect(entries().filter((f) => f.includes('corrupt'))).toEqual([]);
    expect(movedAside).toBe(0);
    expect(lines).toEqual([]);
  });

  it('leaves a file locked by another process where it is, and says so', () => {
    const original = new SqliteOutbox(file);
    original.immediate.events.enqueue([event('a')], 1000);
    void original.close();
    const holder = new Database(file);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec(`BEGIN EXCLUSIVE; UPDATE outbox SET attempts = attempts + 1;`);
    try {
      const before = entries();
      let error: unknown;
      try {
        void openOutbox(file, { lockWaitMs: 200 }, recovery()).close();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(OutboxOpenError);
      expect(error).toMatchObject({ corrupt: false, message: expect.stringContaining('another process holds a lock') });
      expect((error as Error).message).toContain('The file was left in place');
      expect(entries()).toEqual(before);
      expect(movedAside).toBe(0);
      expect(lines).toEqual([]);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    const outbox = openOutbox(file, {}, recovery());
    expect(outbox.immediate.events.counts().pending).toBe(1);
    void outbox.close();
  });

  it('leaves a path it cannot open as a file (a directory) alone', () => {
    fs.mkdirSync(file);
    expect(() => openOutbox(file, { lockWaitMs: 200 }, recovery())).toThrow(/cannot open the outbox .*EISDIR.*The file was left in place: check that the sidecar user can read and write/);
    expect(fs.statSync(file).isDirectory()).toBe(true);
    expect(entries()).toEqual(['outbox.sqlite']);
    expect(movedAside).toBe(0);
  });

  it('only reports a corrupt file when not asked to recover (inspection commands)', () => {
    fs.writeFileSync(file, randomBytes(8192));
    expect(() => openOutbox(file)).toThrow(expect.objectContaining({ corrupt: true, message: expect.stringContaining('`serve` moves it aside') }));
    expect(entries()).toEqual(['outbox.sqlite']);
  });

  it('tells corruption from other SQLite failures', () => {
    expect(isCorruption({ code: 'SQLITE_NOTADB' })).toBe(true);
    expect(isCorruption({ code: 'SQLITE_CORRUPT' })).toBe(true);
    expect(isCorruption({ code: 'SQLITE_CORRUPT_INDEX' })).toBe(true);
    for (const code of ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_IOERR_READ', 'EACCES']) {
      expect(isCorruption({ code })).toBe(false);
    }
    expect(isCorruption(new Error('no code'))).toBe(false);
    expect(movedAsideName('/data/outbox.sqlite', AT)).toBe('/data/outbox.sqlite.corrupt-2025-03-04T05-06-07-089Z');
  });
});
