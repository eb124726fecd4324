import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { Client } from 'pg';

/**
 * PostgreSQL for the outbox suites: a database of its own per suite on the local
 * server (OUTBOX_TEST_PG_URL names another), dropped afterwards. Without a reachable
 * server the suites skip with one line, except in CI (CI=true), where PostgreSQL is
 * part of the machine (.ci/run starts it) and its absence is a failure.
 */
export const PG_TEST_ADMIN_URL = process.env.OUTBOX_TEST_PG_URL || 'postgres://odoo:odoo@localhost:5432/postgres';

/** Why the server cannot be used (said without its password), or undefined. Synchronous: `describe` is. */
function unreachableReason(): string | undefined {
  const probe = `const { Client } = require('pg');
    const c = new Client({ connectionString: process.env.URL, connectionTimeoutMillis: 3000 });
    c.connect().then(() => c.end()).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', probe], { env: { ...process.env, URL: PG_TEST_ADMIN_URL }, encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? undefined : (r.stderr || r.error?.message || 'no answer').trim().split('\n')[0];
}

let reachability: { reason: string | undefined } | undefined;
function pgUnreachable(): string | undefined {
  reachability ??= { reason: unreachableReason() };
  return reachability.reason;
}

/** `describe` for a suite that needs PostgreSQL: skipped with one line when there is none, failed in CI. */
export function describePg(name: string, body: () => void): void {
  const reason = pgUnreachable();
  if (reason === undefined) return describe(name, body);
  const where = PG_TEST_ADMIN_URL.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  if (process.env.CI === 'true') {
    return describe(name, () => {
      it('needs PostgreSQL (CI has it)', () => {
        throw new Error(`PostgreSQL at ${where} is unreachable (${reason}): CI runs the outbox suites on PostgreSQL`);
      });
    });
  }
  process.stderr.write(`skipped "${name}": PostgreSQL at ${where} is unreachable (${reason}); set OUTBOX_TEST_PG_URL to run it\n`);
  describe.skip(name, body);
}

function urlOfDatabase(database: string): string {
  const url = new URL(PG_TEST_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: PG_TEST_ADMIN_URL });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/**
 * A fresh database for this suite (created before its tests, dropped after):
 * `url()` connects to it, `reset()` empties it between tests.
 */
export function usePgDatabase(): { url: () => string; reset: () => Promise<void> } {
  const database = `outbox_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  beforeAll(() => admin((c) => c.query(`CREATE DATABASE ${database}`)));
  afterAll(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)));
  const url = () => urlOfDatabase(database);
  return {
    url,
    reset: async () => {
      const c = new Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      } finally {
        await c.end();
      }
    },
  };
}
