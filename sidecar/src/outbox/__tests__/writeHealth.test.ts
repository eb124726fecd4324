import { OutboxWriteHealth } from '../writeHealth';

const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('OutboxWriteHealth', () => {
  it('is unwritable from a failed write until a later one succeeds', () => {
    let now = 0;
    const health = new OutboxWriteHealth(() => {}, () => now, 10_000);
    health.succeeded();
    expect(health.check()).toEqual({ writable: true });
    health.failed(full);
    now = 5_000;
    expect(health.check()).toEqual({ writable: false, error: 'SQLITE_FULL' });
    health.succeeded();
    expect(health.check()).toEqual({ writable: true });
  });

  it('probes only when no write was tried for a while, and follows the probe', () => {
    let now = 0;
    let probeFails = true;
    let probes = 0;
    const health = new OutboxWriteHealth(
      () => {
        probes += 1;
        if (probeFails) throw Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
      },
      () => now,
      10_000,
    );
    expect(health.check()).toEqual({ writable: false, error: 'SQLITE_READONLY' });
    now = 9_999;
    probeFails = false;
    expect(health.check().writable).toBe(false);
    expect(probes).toBe(1);
    now = 10_000;
    expect(health.check()).toEqual({ writable: true });
    expect(probes).toBe(2);
    health.failed(full); // a relay commit failed just now: no probe overrides it
    now = 15_000;
    expect(health.check().writable).toBe(false);
    expect(probes).toBe(2);
  });

  it('names an error without a code by a short message', () => {
    const health = new OutboxWriteHealth(() => {}, () => 0);
    health.failed(new Error('disk I/O error'));
    expect(health.check()).toEqual({ writable: false, error: 'disk I/O error' });
  });
});
