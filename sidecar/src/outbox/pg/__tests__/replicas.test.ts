import { Client } from 'pg';
import { describePg, usePgDatabase } from '../../../../../tests/helpers/pgOutbox';
import type { NewOutboxEvent } from '../../eventQueue';
import type { CheckedOutboxEvent } from '../../rowGate';
import { PgOutbox } from '../outbox';

const PIXEL = 'CABCDEFGH12345678';
const LANE = { pixelId: PIXEL, testEventCode: '' };
const LEASE_MS = 60_000;

function event(eventId: string, overrides: Partial<NewOutboxEvent> = {}): CheckedOutboxEvent {
  return { pixelId: PIXEL, event: 'AddToCart', eventId, source: 'browser', row: { event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000 }, ...overrides } as CheckedOutboxEvent;
}

describePg('PgOutbox shared by replicas', () => {
  const db = usePgDatabase();
  const open: PgOutbox[] = [];
  const replica = async (name: string, poolMax = 5) => {
    const outbox = await PgOutbox.open({ url: db.url(), replica: name, leaseMs: LEASE_MS, poolMax });
    open.push(outbox);
    return outbox;
  };
  beforeEach(() => db.reset());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.close()));
  });

  it('hands each row to one replica only, however many claims run at once', async () => {
    const [a, b] = [await replica('replica-a', 10), await replica('replica-b', 10)];
    await a.events.enqueue(Array.from({ length: 400 }, (_, i) => event(`e-${i}`)), 1000);
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).events.claim(LANE, 1000, 15)));
    const ids = claims.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(0);
    const rest = [...(await a.events.claim(LANE, 1000, 1000)), ...(await b.events.claim(LANE, 1000, 1000))];
    expect(ids.length + rest.length).toBe(400);
    expect(new Set([...ids, ...rest.map((r) => r.id)]).size).toBe(400);
    expect(await a.events.counts()).toEqual({ pending: 0, in_flight: 400, delivered: 0, dead: 0 });
  });

  it('does not wait for a row another replica is claiming at this moment: it takes the next ones', async () => {
    const a = await replica('replica-a');
    await a.events.enqueue([event('x'), event('y'), event('z')], 1000);
    const other = new Client({ connectionString: db.url() });
    await other.connect();
    try {
      // Another replica's claim, between reading row x and committing.
      await other.query('BEGIN');
      await other.query(`SELECT id FROM outbox WHERE event_id = 'x' FOR UPDATE`);
      let settled = false;
      const claim = a.events.claim(LANE, 1000, 10).finally(() => (settled = true));
      // Whichever comes first: the claim's answer, or the claim seen waiting for that lock.
      let blocked = false;
      while (!settled && !blocked) {
        const { rows } = await other.query(`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        blocked = rows[0].n > 0;
      }
      await other.query('COMMIT');
      expect(blocked).toBe(false);
      expect((await claim).map((r) => r.eventId)).toEqual(['y', 'z']);
    } finally {
      await other.end();
    }
  });

  it('stores the same events arriving at two replicas at once in opposite orders, without a deadlock failing either', async () => {
    const [a, b] = [await replica('replica-a'), await replica('replica-b')];
    for (let round = 0; round < 20; round++) {
      const events = Array.from({ length: 50 }, (_, i) => event(`r${round}-${String(i).padStart(2, '0')}`));
      const [first, second] = await Promise.all([a.events.enqueue(events, 1000), b.events.enqueue([...events].reverse(), 1000)]);
      // Each event stored once, by one of them.
      expect(first.map((stored, i) => Number(stored) + Number(second[events.length - 1 - i]))).toEqual(events.map(() => 1));
    }
    expect((await a.events.counts()).pending).toBe(1000);
  });

  it('gives a row back when the lease of the replica holding it ends, as a further attempt', async () => {
    const [a, b] = [await replica('replica-a'), await replica('replica-b')];
    await a.events.enqueue([event('x')], 1000);
    const [held] = await a.events.claim(LANE, 1000, 10);
    expect(await b.events.claim(LANE, 1000 + LEASE_MS, 10)).toEqual([]);
    expect(await b.events.dueLanes(1000 + LEASE_MS)).toEqual([]);
    expect(await b.events.nextAttemptAt()).toBe(1000 + LEASE_MS + 1);
    expect(await b.events.dueLanes(1001 + LEASE_MS)).toEqual([expect.objectContaining({ ...LANE, due: 1, oldestDueAt: 1000 + LEASE_MS })]);
    const taken = await b.events.claim(LANE, 1001 + LEASE_MS, 10);
    expect(taken.map((r) => [r.id, r.eventId, r.attempts])).toEqual([[held.id, 'x', 2]]);
  });

  it('lets one replica probe a lane whose hold ended: the others skip it, rows another replica left in flight too, until the probe ends', async () => {
    const [a, b, c] = [await replica('replica-a'), await replica('replica-b'), await replica('replica-c')];
    await a.events.enqueue([event('x'), event('y'), event('z')], 1000);
    await c.events.claim(LANE, 1000, 1); // x, left in flight by c: its lease ends at 1000 + LEASE_MS
    const hold = { until: 2000 + LEASE_MS, reason: 'request_refused', code: 40002, message: 'm', streak: 1, since: 1000, tokenFingerprint: '' };
    await b.events.holdLane(LANE, () => hold);
    expect(await a.events.claim(LANE, 1999 + LEASE_MS, 10)).toEqual([]);
    const end = hold.until;
    const [probeByA, probeByB] = await Promise.all([a.events.takeProbe(LANE, end, end + 5000), b.events.takeProbe(LANE, end, end + 5000)]);
    expect([probeByA, probeByB].sort()).toEqual([false, true]);
    const [prober, other] = probeByA ? [a, b] : [b, a];
    expect(await other.events.claim(LANE, end + 4999, 10)).toEqual([]);
    expect((await prober.events.claim(LANE, end, 1)).map((r) => r.eventId)).toEqual(['y']);
    // The probe's lease ended (its replica gone): another replica takes it, and the rows.
    expect(await other.events.takeProbe(LANE, end + 4999, end + 9000)).toBe(false);
    expect(await other.events.takeProbe(LANE, end + 5000, end + 9000)).toBe(true);
    expect((await other.events.claim(LANE, end + 5000, 10)).map((r) => r.eventId)).toEqual(['x', 'z']);
  });

  it('ignores what a replica whose lease ended says about a row another replica took (fencing)', async () => {
    const [a, b] = [await replica('replica-a'), await replica('replica-b')];
    await a.events.enqueue([event('x'), event('y')], 1000);
    const [x, y] = await a.events.claim(LANE, 1000, 10);
    const [x2, y2] = await b.events.claim(LANE, 2000 + LEASE_MS, 10);
    await a.events.markDelivered([x.id], 3000 + LEASE_MS);
    await a.events.markRetry([y.id], 9_999_999, 'timeout', 'late');
    await a.events.markDead([y.id], 40002, 'late', 3000 + LEASE_MS);
    await a.events.markPaused([y.id], 9_999_999, 'late');
    expect(await a.events.counts()).toEqual({ pending: 0, in_flight: 2, delivered: 0, dead: 0 });
    await b.events.markDelivered([x2.id], 4000 + LEASE_MS);
    await b.events.markRetry([y2.id], 5000 + LEASE_MS, 'server_error', 'HTTP 503');
    expect(await a.events.counts()).toEqual({ pending: 1, in_flight: 0, delivered: 1, dead: 0 });
  });

  it('releases at start only the rows this replica held, not those in flight elsewhere', async () => {
    const [a, b] = [await replica('replica-a'), await replica('replica-b')];
    await a.events.enqueue([event('x'), event('y')], 1000);
    await a.events.claim(LANE, 1000, 1);
    await b.events.claim(LANE, 1000, 1);
    await a.close();
    open.splice(open.indexOf(a), 1);
    const restarted = await replica('replica-a');
    expect(await restarted.events.releaseInFlight()).toBe(1);
    expect(await restarted.events.counts()).toEqual({ pending: 1, in_flight: 1, delivered: 0, dead: 0 });
    expect((await restarted.events.claim(LANE, 1000, 10)).map((r) => r.eventId)).toEqual(['x']);
  });

  it('finds the lanes of rows another replica enqueued, after its own lanes were read', async () => {
    const [a, b] = [await replica('replica-a'), await replica('replica-b')];
    await a.events.enqueue([event('x')], 1000);
    expect((await a.events.dueLanes(1000)).map((l) => l.pixelId)).toEqual([PIXEL]);
    await b.events.enqueue([event('c', { pixelId: 'crm:2:7300000000000000001' }), event('t', { testEventCode: 'TEST1' })], 1000);
    expect((await a.events.dueLanes(1000)).map((l) => [l.pixelId, l.testEventCode, l.due])).toEqual([
      [PIXEL, '', 1],
      [PIXEL, 'TEST1', 1],
      ['crm:2:7300000000000000001', '', 1],
    ]);
  });

  it('sends a dead letter again wherever it is, and reports the shared settled claims once per replica asking', async () => {
    const [a, b] = [await replica('replica-a'), await replica('replica-b')];
    await a.purchaseClaims.enqueueClaims([{ orderId: 7, event: event('p-7', { event: 'Purchase', source: 'server' }) }], 1000);
    const [row] = await b.events.claim(LANE, 1000, 10);
    await b.events.markDead([row.id], 40002, 'bad', 1100);
    expect(await a.purchaseClaims.settledClaims(10)).toEqual([{ orderId: 7, outcome: 'dead' }]);
    expect(await a.events.requeueDeadLetters([row.id], 2000)).toBe(1);
    expect((await a.events.claim(LANE, 2000, 10)).map((r) => r.id)).toEqual([row.id]);
  });

  it("reports a settled claim only from the replica holding it in Odoo, whoever delivered it (Odoo takes no other's word)", async () => {
    const [a, b] = [await replica('replica-a'), await replica('replica-b')];
    await a.purchaseClaims.enqueueClaims([{ orderId: 8, event: event('p-8', { event: 'Purchase', source: 'server' }) }], 1000);
    const [row] = await b.events.claim(LANE, 1000, 10);
    await b.events.markDelivered([row.id], 1100);
    expect(await b.purchaseClaims.settledClaims(10)).toEqual([]);
    await b.purchaseClaims.markReported([8], 'delivered'); // a late report of another replica forgets nothing
    expect(await a.purchaseClaims.settledClaims(10)).toEqual([{ orderId: 8, outcome: 'delivered' }]);
    // Odoo handed the order to b after a's lease ended: b holds it now, and reports it.
    await b.purchaseClaims.enqueueClaims([{ orderId: 8, event: event('p-8', { event: 'Purchase', source: 'server' }) }], 2000);
    expect(await a.purchaseClaims.settledClaims(10)).toEqual([]);
    expect(await b.purchaseClaims.settledClaims(10)).toEqual([{ orderId: 8, outcome: 'delivered' }]);
  });

  it('refuses a second running process under a replica name in use, and takes the name once it is free', async () => {
    const a = await replica('replica-a');
    await expect(replica('replica-a')).rejects.toThrow(/another running sidecar uses the replica name "replica-a" on this outbox: give each replica its own SIDECAR_REPLICA_ID/);
    await a.close();
    open.splice(open.indexOf(a), 1);
    await expect(replica('replica-a')).resolves.toBeInstanceOf(PgOutbox);
  });

  it('keeps one write-probe row per replica', async () => {
    const [a, b] = [await replica('replica-a'), await replica('replica-b')];
    await Promise.all([a.probeWrite(1), b.probeWrite(2)]);
    await a.probeWrite(3);
    const c = new Client({ connectionString: db.url() });
    await c.connect();
    try {
      expect((await c.query('SELECT replica, at FROM write_probe ORDER BY replica')).rows).toEqual([
        { replica: 'replica-a', at: '3' },
        { replica: 'replica-b', at: '2' },
      ]);
    } finally {
      await c.end();
    }
  });
});
