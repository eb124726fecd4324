import { Pool, types, type PoolClient, type PoolConfig } from 'pg';

/** A pool or one of its connections: what a statement runs on. */
export type Queryable = Pick<Pool | PoolClient, 'query'>;

/** BIGINT columns (ids, epoch milliseconds) and counts as numbers: all stay far below 2^53. */
const BIGINT_OID = 20;
const outboxTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === BIGINT_OID ? (v: string) => Number(v) : (types.getTypeParser(oid, format) as unknown)) as typeof types.getTypeParser,
};

export function outboxPool(url: string, max: number, extra: PoolConfig = {}): Pool {
  return new Pool({ connectionString: url, max, types: outboxTypes, ...extra });
}

/** `work` on one connection inside BEGIN … COMMIT, rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  } finally {
    client.release();
  }
}
