import { Client } from 'pg';
import { describePg, PG_TEST_ADMIN_URL, usePgDatabase } from '../../../../../tests/helpers/pgOutbox';
import { OutboxOpenError } from '../../openOutbox';
import { outboxPool } from '../db';
import { migratePg, PG_MIGRATIONS } from '../migrations';
import { PgOutbox } from '../outbox';

const PIXEL = 'CABCDEFGH12345678';
const LANE = { pixelId: PIXEL, testEventCode: '' };
const LATEST = PG_MIGRATIONS.length;
const row = (eventId: string, extra: object = {}) => JSON.stringify({ event: 'AddToCart', event_id: eventId, event_time: 1_732_500_000, ...extra });

describePg('PostgreSQL outbox migrations', () => {
  const db = usePgDatabase();
  let client: Client;
  beforeEach(async () => {
    await db.reset();
    client = new Client({ connectionString: db.url() });
    await client.connect();
  });
  afterEach(() => client.end());

  const version = async () => (await client.query('SELECT version FROM outbox_schema')).rows.map((r) => r.version);

  it('applies each step once when replicas open a new database together', async () => {
    const statements: string[] = [];
    const pools = Array.from({ length: 6 }, () => outboxPool(db.url(), 2));
    try {
      // Each opener logs the steps it applies; together they apply each once.
      const counting = PG_MIGRATIONS.map((sql, i) => `${sql}\nINSERT INTO applied_steps VALUES (${i + 1});`);
      await client.query('CREATE TABLE applied_steps (step INTEGER NOT NULL)');
      await Promise.all(pools.map((p) => migratePg(p, 'test', counting)));
      statements.push(...(await client.query('SELECT step FROM applied_steps ORDER BY step')).rows.map((r) => String(r.step)));
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    expect(statements).toEqual(PG_MIGRATIONS.map((_, i) => String(i + 1)));
    expect(await version()).toEqual([LATEST]);
  });

  it('refuses a database of a newer release and leaves it as it is, naming it without its password', async () => {
    await (await PgOutbox.open({ url: db.url(), replica: 'a', leaseMs: 60_000 })).close();
    await client.query('UPDATE outbox_schema SET version = $1', [LATEST + 1]);
    await client.query(`INSERT INTO outbox (pixel_id, event, event_id, source, payload, event_time, next_attempt_at, created_at) VALUES ($1, 'AddToCart', 'kept', 'browser', $2, 1, 1, 1)`, [PIXEL, row('kept')]);
    const open = PgOutbox.open({ url: db.url(), replica: 'a', leaseMs: 60_000 });
    await expect(open).rejects.toThrow(OutboxOpenError);
    await expect(open).rejects.toThrow(new RegExp(`has schema version ${LATEST + 1}, newer than this sidecar knows \\(${LATEST}\\): a newer release wrote it\\. Run that release \\(or a later one\\); the database was left as it is\\.`));
    await expect(open).rejects.not.toThrow(/odoo@|:odoo@/);
    expect(await version()).toEqual([LATEST + 1]);
    expect((await client.query('SELECT event_id FROM outbox')).rows).toEqual([{ event_id: 'kept' }]);
  });

  it('upgrades a database written at step 1 in place: every row is there and goes on to its end', async () => {
    await client.query(PG_MIGRATIONS[0]);
    await client.query('CREATE TABLE outbox_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL); INSERT INTO outbox_schema VALUES (1, 1)');
    const insert = `INSERT INTO outbox (pixel_id, event, event_id, source, payload, event_time, state, attempts, next_attempt_at, error_code, last_error, created_at, delivered_at, claimed_by, lease_until)
      VALUES ($1, $2, $3, $4, $5, 1732500000, $6, $7, $8, $9, $10, 1000, $11, $12, $13)`;
    await client.query(insert, [PIXEL, 'AddToCart', 'waiting', 'browser', row('waiting'), 'pending', 1, 2000, null, 'server_error: HTTP 503', null, null, null]);
    await client.query(insert, [PIXEL, 'AddToCart', 'in-flight', 'browser', row('in-flight'), 'in_flight', 1, 1000, null, null, null, 'replica-a', 61_000]);
    await client.query(insert, [PIXEL, 'AddToCart', 'dead', 'browser', row('dead', { user: { ip: '203.0.113.7' } }), 'dead', 1, 1000, 40002, 'Invalid parameter', 1500, null, null]);
    await client.query(insert, [PIXEL, 'Purchase', 'purchase-so-7', 'server', row('purchase-so-7'), 'pending', 0, 1000, null, null, null, null, null]);
    await client.query(`INSERT INTO purchase_claims (order_id, pixel_id, event, event_id, claimed_at) VALUES (7, $1, 'Purchase', 'purchase-so-7', 1000)`, [PIXEL]);
    await client.query(`INSERT INTO settings_snapshot (id, json, saved_at) VALUES (1, '[]', 1000)`);

    const outbox = await PgOutbox.open({ url: db.url(), replica: 'replica-a', leaseMs: 60_000 });
    try {
      expect(await version()).toEqual([LATEST]);
      expect(await outbox.settingsSnapshot.load()).toBe('[]');
      expect(await outbox.events.counts()).toEqual({ pending: 2, in_flight: 1, delivered: 0, dead: 1 });
      expect(await outbox.events.releaseInFlight()).toBe(1);
      const claimed = await outbox.events.claim(LANE, 5000, 10);
      expect(claimed.map((r) => [r.eventId, r.attempts])).toEqual([['waiting', 2], ['in-flight', 2], ['purchase-so-7', 1]]);
      await outbox.events.markDelivered(claimed.map((r) => r.id), 6000);
      expect(await outbox.purchaseClaims.settledClaims(10)).toEqual([{ orderId: 7, outcome: 'delivered' }]);
      expect(await outbox.events.scrubDeadLetters(2000, 10)).toBe(1);
      expect(await outbox.events.deadLetters(10)).toEqual([expect.objectContaining({ eventId: 'dead', errorCode: 40002, deadAt: 1500 })]);
    } finally {
      await outbox.close();
    }
  });
});

describePg('PostgreSQL outbox migrations: lane holds', () => {
  const db = usePgDatabase();
  beforeEach(() => db.reset());

  it('upgrades a database of the previous version (2): its waiting rows are held with their lane for every replica, and claimed once the hold ends', async () => {
    const old = outboxPool(db.url(), 2);
    try {
      await migratePg(old, 'test', PG_MIGRATIONS.slice(0, 2));
      await old.query(
        `INSERT INTO outbox (pixel_id, event, event_id, source, payload, event_time, next_attempt_at, created_at) VALUES ($1, 'AddToCart', 'waiting', 'browser', $2, 1732500000, 1000, 1000)`,
        [PIXEL, row('waiting')],
      );
      expect((await old.query('SELECT version FROM outbox_schema')).rows).toEqual([{ version: 2 }]);
    } finally {
      await old.end();
    }
    const [a, b] = [await PgOutbox.open({ url: db.url(), replica: 'replica-a', leaseMs: 60_000 }), await PgOutbox.open({ url: db.url(), replica: 'replica-b', leaseMs: 60_000 })];
    try {
      expect(await a.events.laneHolds()).toEqual([]);
      await a.events.holdLane(LANE, () => ({ until: 5000, reason: 'request_refused', code: 40002, message: 'm', streak: 1, since: 2000, tokenFingerprint: '' }));
      expect(await b.events.claim(LANE, 4999, 10)).toEqual([]);
      expect((await b.events.claim(LANE, 5000, 10)).map((e) => e.eventId)).toEqual(['waiting']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describePg('PgOutbox.open', () => {
  it('says which host and database it could not reach, and why, never the password', async () => {
    const wrong = new URL(PG_TEST_ADMIN_URL);
    wrong.password = 'not-the-password-42';
    const open = PgOutbox.open({ url: wrong.toString(), replica: 'a', leaseMs: 60_000, connectTimeoutMs: 3000 });
    await expect(open).rejects.toThrow(/cannot open the PostgreSQL outbox \(host [^,]+, database \w+\): .*the server refused the login/);
    await expect(open).rejects.not.toThrow(/not-the-password-42/);
    const refused = PgOutbox.open({ url: 'postgres://odoo:secret-99@127.0.0.1:1/outbox', replica: 'a', leaseMs: 60_000, connectTimeoutMs: 3000 });
    await expect(refused).rejects.toThrow(/host 127\.0\.0\.1:1, database outbox\): .*ECONNREFUSED.*the server did not answer/);
    await expect(refused).rejects.not.toThrow(/secret-99/);
  });
});
