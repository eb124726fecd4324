/**
 * Two sidecar processes on one PostgreSQL outbox (OUTBOX_URL), as replicas behind a
 * load balancer: each accepts events, and TikTok receives each event once.
 */
import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { startFakeEventsApi, type FakeEventsApi } from '../support/fakeEventsApi';
import { describePg, usePgDatabase } from '../helpers/pgOutbox';
import { exited, freePort, spawnSidecar, waitForHttp } from '../helpers/process';
import { BROWSER_UA, PIXEL, relayEvent, SHOP } from '../helpers/sidecar';

const TOKEN = 'test-access-token-0001';

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describePg('sidecar replicas on one PostgreSQL outbox', () => {
  const db = usePgDatabase();
  let api: FakeEventsApi;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    await db.reset();
    api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN } });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await api.close();
  });

  async function replica(name: string, output: string[] = []): Promise<number> {
    const port = await freePort();
    const child = spawnSidecar(
      {
        RELAY_PORT: String(port),
        OUTBOX_URL: db.url(),
        SIDECAR_REPLICA_ID: name,
        TIKTOK_PIXEL_ID: PIXEL,
        TIKTOK_ACCESS_TOKEN: TOKEN,
        TIKTOK_API_BASE_URL: api.baseUrl,
        RELAY_ALLOWED_ORIGINS: SHOP,
        DISPATCH_LINGER_MS: '0',
        LOG_LEVEL: 'info',
      },
      output,
      { bundled: true },
    );
    children.push(child);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    return port;
  }

  const relay = (port: number, ids: string[]) =>
    fetch(`http://127.0.0.1:${port}/tiktok/relay`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA },
      body: JSON.stringify(ids.map((id) => relayEvent({ event_id: id }))),
    });

  it('delivers each event once, whichever replica took it, a repeat sent to both included', async () => {
    const output: string[] = [];
    const [a, b] = [await replica('replica-a', output), await replica('replica-b', output)];
    const ids = (prefix: string) => Array.from({ length: 20 }, (_, i) => `${prefix}-${i}`);
    const answers = await Promise.all([relay(a, ids('a')), relay(b, ids('b')), relay(a, ['both-1']), relay(b, ['both-1'])]);
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    const expected = [...ids('a'), ...ids('b'), 'both-1'].sort();
    await until(() => new Set(api.delivered.map((d) => String(d.row.event_id))).size === expected.length);
    const c = new Client({ connectionString: db.url() });
    await c.connect();
    try {
      await until(async () => (await c.query(`SELECT COUNT(*)::int AS n FROM outbox WHERE state = 'delivered'`)).rows[0].n === expected.length);
      const claimedBy = (await c.query(`SELECT DISTINCT claimed_by FROM outbox ORDER BY 1`)).rows.map((r) => r.claimed_by);
      expect(claimedBy.every((name) => ['replica-a', 'replica-b'].includes(name))).toBe(true);
    } finally {
      await c.end();
    }
    expect(api.delivered.map((d) => String(d.row.event_id)).sort()).toEqual(expected);
    // The log says where the outbox is, never its password.
    expect(output.join('')).toMatch(/"outbox":"postgres:\/\/odoo:\*\*\*@/);
    expect(output.join('')).not.toContain(':odoo@');
  });

  it('refuses to start a second process under a replica name in use, saying why', async () => {
    await replica('replica-a');
    const output: string[] = [];
    const second = spawnSidecar({ RELAY_PORT: String(await freePort()), OUTBOX_URL: db.url(), SIDECAR_REPLICA_ID: 'replica-a' }, output, { bundled: true });
    children.push(second);
    expect(await exited(second)).toBe(74);
    expect(output.join('')).toMatch(/another running sidecar uses the replica name "replica-a"/);
  });
});
