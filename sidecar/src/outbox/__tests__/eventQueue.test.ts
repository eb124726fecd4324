import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GroupCommitWriter } from '../groupCommit';
import { SqliteOutbox } from '../outbox';
import { event } from './queueContract';

/** What only the SQLite engine does; the queue's contract, for every engine, is in queue.test.ts. */
describe('SqliteEventQueue', () => {
  let dir: string;
  let file: string;
  let outbox: SqliteOutbox;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
    file = path.join(dir, 'nested', 'outbox.sqlite');
    outbox = new SqliteOutbox(file);
  });
  afterEach(() => {
    void outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses WAL and absorbs a repeated (pixel, event, event_id)', () => {
    expect(outbox.immediate.events.enqueue([event('a'), event('b')], 1000)).toEqual([true, true]);
    expect(outbox.immediate.events.enqueue([event('a'), event('a', { event: 'ViewContent' }), event('a', { pixelId: 'COTHERPIXEL1' })], 1001)).toEqual([false, true, true]);
    expect(outbox.immediate.events.counts()).toEqual({ pending: 4, in_flight: 0, delivered: 0, dead: 0 });
    expect(fs.existsSync(`${file}-wal`)).toBe(true);
  });
});

describe('GroupCommitWriter', () => {
  it('retries a commit that met a lock held by another connection, instead of refusing the events', async () => {
    const outbox = new SqliteOutbox(':memory:');
    const real = outbox.immediate.events.enqueue.bind(outbox.immediate.events);
    let busy = 2;
    jest.spyOn(outbox.immediate.events, 'enqueue').mockImplementation((events, now) => {
      if (busy-- > 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return real(events, now);
    });
    const writer = new GroupCommitWriter(outbox.events, () => 1000);
    await expect(writer.enqueue([event('a')])).resolves.toEqual({ inserted: 1, duplicates: 0 });
    expect(outbox.immediate.events.counts().pending).toBe(1);
    void outbox.close();
  });

  it('rejects every waiting caller when the commit fails, so the relay does not answer "accepted"', async () => {
    const outbox = new SqliteOutbox(':memory:');
    void outbox.close();
    const writer = new GroupCommitWriter(outbox.events);
    await expect(writer.enqueue([event('a')])).rejects.toThrow();
  });
});
