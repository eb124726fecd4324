import { Client } from 'pg';
import { describePg, usePgDatabase } from '../../../../../tests/helpers/pgOutbox';
import { loadConfig } from '../../../config';
import { runDoctor } from '../../../doctor';
import { PG_MIGRATIONS } from '../migrations';
import { PgOutbox } from '../outbox';

describePg('doctor on a PostgreSQL outbox', () => {
  const db = usePgDatabase();
  beforeEach(() => db.reset());
  const outboxFinding = async (url: string) => (await runDoctor(loadConfig({ OUTBOX_URL: url }))).find((f) => f.check === 'outbox');

  it('says an empty database is ready and a current one current, and changes neither', async () => {
    expect(await outboxFinding(db.url())).toEqual({ ok: true, check: 'outbox', detail: expect.stringMatching(/database outbox_test_\w+\): empty: the sidecar creates its tables at start$/) });
    const c = new Client({ connectionString: db.url() });
    await c.connect();
    try {
      expect((await c.query(`SELECT to_regclass('outbox_schema') AS t`)).rows).toEqual([{ t: null }]);
      await (await PgOutbox.open({ url: db.url(), replica: 'a', leaseMs: 60_000 })).close();
      expect((await outboxFinding(db.url()))?.detail).toMatch(`schema version ${PG_MIGRATIONS.length}, current`);
      await c.query('UPDATE outbox_schema SET version = 99');
      expect(await outboxFinding(db.url())).toEqual(expect.objectContaining({ ok: false, detail: expect.stringMatching(/schema version 99 is newer than this sidecar knows/) }));
    } finally {
      await c.end();
    }
  });

  it('says it cannot log in, without the password', async () => {
    const url = new URL(db.url());
    url.password = 'wrong-password-77';
    const finding = await outboxFinding(url.toString());
    expect(finding).toEqual(expect.objectContaining({ ok: false, detail: expect.stringMatching(/^cannot reach the PostgreSQL outbox \(host [^,]+, database outbox_test_\w+\): password authentication failed/) }));
    expect(finding?.detail).not.toContain('wrong-password-77');
  });
});
