import os from 'node:os';
import path from 'node:path';
import { freeBytesBeside, OutboxWriteHealth } from '../writeHealth';

const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('OutboxWriteHealth', () => {
  it('is unwritable from a failed write until a later one succeeds', async () => {
    let now = 0;
    const health = new OutboxWriteHealth(async () => {}, () => now, 10_000);
    health.succeeded();
    expect((await health.check())).toEqual({ writable: true });
    health.failed(full);
    now = 5_000;
    expect((await health.check())).toEqual({ writable: false, error: 'SQLITE_FULL' });
    health.succeeded();
    expect((await health.check())).toEqual({ writable: true });
  });

  it('probes only when no write was tried for a while, and follows the probe', async () => {
    let now = 0;
    let probeFails = true;
    let probes = 0;
    const health = new OutboxWriteHealth(
      async () => {
        probes += 1;
        if (probeFails) throw Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
      },
      () => now,
      10_000,
    );
    expect((await health.check())).toEqual({ writable: false, error: 'SQLITE_READONLY' });
    now = 9_999;
    probeFails = false;
    expect((await health.check()).writable).toBe(false);
    expect(probes).toBe(1);
    now = 10_000;
    expect((await health.check())).toEqual({ writable: true });
    expect(probes).toBe(2);
    health.failed(full); // a relay commit failed just now: no probe overrides it
    now = 15_000;
    expect((await health.check()).writable).toBe(false);
    expect(probes).toBe(2);
  });

  it('names an error without a code by a short message', async () => {
    const health = new OutboxWriteHealth(async () => {}, () => 0);
    health.failed(new Error('disk I/O error'));
    expect((await health.check())).toEqual({ writable: false, error: 'disk I/O error' });
  });
});

describe('OutboxWriteHealth: room on the filesystem', () => {
  const MB = 2 ** 20;

  it('is not writable below the minimum free space, even when every write and probe succeeds', async () => {
    let now = 0;
    let free: number | undefined = 100 * MB;
    const health = new OutboxWriteHealth(async () => {}, () => now, 10_000, { freeBytes: () => free, minFreeBytes: 32 * MB });
    expect((await health.check())).toEqual({ writable: true, freeBytes: 100 * MB });
    free = 0;
    health.succeeded(); // a small write squeezed into the WAL's slack
    expect((await health.check())).toEqual({ writable: false, freeBytes: 0, error: expect.stringMatching(/^disk full: 0 MB free, less than the 32 MB kept/) });
    now = 60_000; // idle: the probe succeeds too, and changes nothing
    expect((await health.check()).writable).toBe(false);
    free = 40 * MB;
    expect((await health.check())).toEqual({ writable: true, freeBytes: 40 * MB });
  });

  it('names a full filesystem rather than the code of the write it made fail', async () => {
    const health = new OutboxWriteHealth(async () => {}, () => 0, 10_000, { freeBytes: () => 0, minFreeBytes: 32 * MB });
    health.failed(full);
    expect(await health.check()).toEqual({ writable: false, freeBytes: 0, error: expect.stringMatching(/^disk full: 0 MB free/) });
  });

  it('keeps a failed write until a later write or probe succeeds with room to spare', async () => {
    let now = 0;
    let free = 0;
    const health = new OutboxWriteHealth(async () => {}, () => now, 10_000, { freeBytes: () => free, minFreeBytes: 32 * MB });
    health.failed(full);
    now = 20_000;
    expect((await health.check())).toMatchObject({ writable: false, error: expect.stringMatching(/^disk full/) });
    free = 64 * MB;
    now = 40_000;
    expect((await health.check())).toEqual({ writable: true, freeBytes: 64 * MB });
  });

  it('ignores the space check when the filesystem does not tell', async () => {
    const health = new OutboxWriteHealth(async () => {}, () => 0, 10_000, { freeBytes: () => undefined, minFreeBytes: 32 * MB });
    expect((await health.check())).toEqual({ writable: true });
  });
});

describe('freeBytesBeside', () => {
  it('reads the room of the directory that holds the file, and nothing for an in-memory outbox', async () => {
    expect(freeBytesBeside(':memory:')()).toBeUndefined();
    const free = freeBytesBeside(path.join(os.tmpdir(), 'no-such-file-yet.sqlite'))();
    expect(free).toBeGreaterThan(0);
  });
});
