import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BACKFILL_MAX_AGE_SECONDS, backfillPurchases, formatBackfill, runBackfillCommand } from '../backfill';
import { loadConfig } from '../config';
import { startFakeOdoo, type FakeMissedPurchase, type FakeOdoo, type FakeOdooOptions } from '../odoo/__tests__/fakeOdoo';
import { MAX_EVENT_AGE_SECONDS } from '../contract/formats';

const API_KEY = '0123456789abcdef0123456789abcdef01234567';
const MISSED: FakeMissedPurchase[] = [
  { order_id: 41, order_name: 'S00041', confirmed_at: '2026-11-20 10:00:00', outcome: 'queued' },
  { order_id: 42, order_name: 'S00042', confirmed_at: '2026-11-21 11:00:00', outcome: 'internal_user' },
  { order_id: 43, order_name: 'S00043', confirmed_at: '2026-11-22 12:00:00', outcome: 'not_paid' },
  { order_id: 44, order_name: 'S00044', confirmed_at: '2026-11-23 13:00:00', outcome: 'queued' },
];

describe('backfill command', () => {
  let odoo: FakeOdoo;
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backfill-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => odoo?.close());

  const start = async (options: FakeOdooOptions = {}) => {
    odoo = await startFakeOdoo({ withModule: true, apiKey: API_KEY, missedPurchases: MISSED.map((o) => ({ ...o })), ...options });
  };
  const env = (extra: Record<string, string> = {}) =>
    loadConfig({ OUTBOX_PATH: path.join(dir, 'o.sqlite'), ODOO_URL: odoo.url, ODOO_DB: 'shop', ODOO_LOGIN: 'tiktok-sidecar', ODOO_API_KEY: API_KEY, ...extra });
  const backfillCalls = () => odoo.calls.filter((c) => c.method === 'tiktok_backfill_purchases');

  it("asks for TikTok's window less the time to send, and a second run queues nothing", async () => {
    await start();
    const first = await runBackfillCommand(env(), []);
    expect(first).toEqual({
      exitCode: 0,
      output: [
        '2 Purchases queued, the poller sends them; 2 orders skipped (confirmed since 2026-11-18 19:00:00 UTC)',
        '  skipped 1: Excluded: the buyer is an internal user',
        '  skipped 1: No confirmed payment and no opt-in for orders without one',
      ].join('\n'),
    });
    expect(BACKFILL_MAX_AGE_SECONDS).toBe(MAX_EVENT_AGE_SECONDS - 3600);
    expect(backfillCalls().map((c) => c.kwargs)).toEqual([{ max_age_seconds: BACKFILL_MAX_AGE_SECONDS, dry_run: false }]);

    const second = await runBackfillCommand(env(), []);
    expect(second.output).toBe(
      '0 Purchases queued, the poller sends them; 1 order skipped (confirmed since 2026-11-18 19:00:00 UTC)\n' +
        '  skipped 1: No confirmed payment and no opt-in for orders without one',
    );
  });

  it('a dry run lists every order and queues nothing', async () => {
    await start();
    const dry = await runBackfillCommand(env(), ['--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.output.split('\n')).toEqual([
      'dry run, nothing queued: 2 Purchases to queue, 2 orders to skip (confirmed since 2026-11-18 19:00:00 UTC)',
      '  skipped 1: Excluded: the buyer is an internal user',
      '  skipped 1: No confirmed payment and no opt-in for orders without one',
      '  S00041 (confirmed 2026-11-20 10:00:00) would be queued',
      '  S00042 (confirmed 2026-11-21 11:00:00) skipped: Excluded: the buyer is an internal user',
      '  S00043 (confirmed 2026-11-22 12:00:00) skipped: No confirmed payment and no opt-in for orders without one',
      '  S00044 (confirmed 2026-11-23 13:00:00) would be queued',
    ]);
    expect(backfillCalls().map((c) => c.kwargs.dry_run)).toEqual([true]);
    // Still all there for the real run.
    expect((await runBackfillCommand(env(), [])).output).toMatch(/^2 Purchases queued/);
  });

  it('works over XML-RPC too', async () => {
    await start();
    const result = await runBackfillCommand(env({ ODOO_TRANSPORT: 'xmlrpc' }), []);
    expect(result.output).toMatch(/^2 Purchases queued/);
    expect(backfillCalls().map((c) => c.transport)).toEqual(['xmlrpc']);
  });

  it('says when there is nothing to do', async () => {
    await start({ missedPurchases: [] });
    expect(await runBackfillCommand(env(), [])).toEqual({
      exitCode: 0,
      output: 'no web order confirmed since 2026-11-18 19:00:00 UTC is missing its Purchase',
    });
  });

  it('says which group the Odoo user lacks when Odoo refuses', async () => {
    await start({ backfillRefused: true });
    const refused = await runBackfillCommand(env(), []);
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toMatch(/refused sale\.order\.tiktok_backfill_purchases to login 'tiktok-sidecar': give that user the "TikTok sidecar" group/);
  });

  it('says the module must be upgraded when Odoo does not know the method', async () => {
    await start({ withModule: false });
    const result = await runBackfillCommand(env(), []);
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(/install or upgrade the website_tiktok_events module/);
  });

  it('refuses unknown options and a configuration without Odoo', async () => {
    await start();
    expect(await runBackfillCommand(env(), ['--dry'])).toEqual({ exitCode: 2, output: 'unknown option --dry; usage: backfill [--dry-run]' });
    const relayOnly = loadConfig({ OUTBOX_PATH: path.join(dir, 'o.sqlite'), TIKTOK_PIXEL_ID: 'CBACKFILLPIXEL000001', TIKTOK_ACCESS_TOKEN: 'token-000001' });
    expect(await runBackfillCommand(relayOnly, [])).toMatchObject({ exitCode: 78, output: expect.stringMatching(/^backfill needs the Odoo connection/) });
    expect(backfillCalls()).toEqual([]);
  });

  it('refuses an answer it does not understand rather than printing nonsense', async () => {
    const odd = { call: async <T>() => ({ queued: 'many' }) as T };
    await expect(backfillPurchases(odd, false)).rejects.toThrow(/backfill answer is not understood \(dry_run: .*same release/);
  });

  it('never prints the API key', async () => {
    await start({ backfillRefused: true });
    const outputs = [await runBackfillCommand(env(), []), await runBackfillCommand(env(), ['--dry-run'])].map((r) => r.output);
    for (const output of outputs) expect(output).not.toContain(API_KEY);
    expect(formatBackfill({ dry_run: false, since: 's', queued: 0, skipped: [], orders: [] })).toBe('no web order confirmed since s UTC is missing its Purchase');
  });
});
