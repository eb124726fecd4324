import { SqliteOutbox } from '../outbox';

describe('SqliteOutbox.probeWrite', () => {
  it('commits on a writable file and throws the SQLite code on one that takes no writes', async () => {
    const outbox = new SqliteOutbox(':memory:');
    await expect(outbox.probeWrite(1)).resolves.toBeUndefined();
    await expect(outbox.probeWrite(2)).resolves.toBeUndefined();
    (outbox as unknown as { db: { pragma(sql: string): unknown } }).db.pragma('query_only = 1');
    await expect(outbox.probeWrite(3)).rejects.toMatchObject({ code: 'SQLITE_READONLY' });
  });
});
