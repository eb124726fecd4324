import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { describePg, usePgDatabase } from '../../../../tests/helpers/pgOutbox';
import { SqliteOutbox } from '../outbox';
import { PgOutbox } from '../pg/outbox';
import { queueContract, type QueueEngine } from './queueContract';

/** Read one column of the row of an event id, by a query of the engine's driver. */
type ColumnQuery = (sql: string, eventId: string) => Promise<string | null>;
const columnSql = (column: string, placeholder: string) => `SELECT ${column} AS v FROM outbox WHERE event_id = ${placeholder}`;

describe('SqliteOutbox: the queue contract', () => {
  queueContract((): QueueEngine => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
    const file = path.join(dir, 'nested', 'outbox.sqlite');
    const query: ColumnQuery = async (sql, eventId) => {
      const reader = new Database(file, { readonly: true });
      try {
        return (reader.prepare(sql).get(eventId) as { v: string | null }).v;
      } finally {
        reader.close();
      }
    };
    return {
      open: async () => new SqliteOutbox(file),
      reopen: async () => new SqliteOutbox(file),
      column: (eventId, column) => query(columnSql(column, '?'), eventId),
      cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  });
});

describePg('PgOutbox: the queue contract', () => {
  const db = usePgDatabase();
  queueContract((): QueueEngine => {
    const open = async () => PgOutbox.open({ url: db.url(), replica: 'replica-1', leaseMs: 60_000 });
    return {
      open: async () => {
        await db.reset();
        return open();
      },
      reopen: open,
      column: async (eventId, column) => {
        const c = new Client({ connectionString: db.url() });
        await c.connect();
        try {
          return (await c.query(columnSql(column, '$1'), [eventId])).rows[0].v;
        } finally {
          await c.end();
        }
      },
      cleanup: async () => {},
    };
  });
});
