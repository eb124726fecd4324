/**
 * The Odoo client against a real Odoo 19, over both transports, and the local
 * test double held to the same answers. Uses ODOO_TEST_URL, ODOO_TEST_DB,
 * ODOO_TEST_LOGIN and ODOO_TEST_API_KEY (a key of a user who may read res.partner)
 * when set; otherwise starts a shop from ODOO_SRC with an administrator's API key.
 */
import { connectOdoo } from '../../sidecar/src/odoo/connect';
import { OdooError } from '../../sidecar/src/odoo/errors';
import type { ConnectedOdoo, OdooConnectionConfig, OdooLogger } from '../../sidecar/src/odoo/types';
import { failure, startFakeOdoo, type FakeOdoo } from '../../sidecar/src/odoo/__tests__/fakeOdoo';
import { odooUnavailableReason } from '../../scripts/odooDev';
import { startShop, type OdooShop } from '../helpers/odooShop';

const env = {
  url: process.env.ODOO_TEST_URL,
  db: process.env.ODOO_TEST_DB,
  login: process.env.ODOO_TEST_LOGIN,
  apiKey: process.env.ODOO_TEST_API_KEY,
};
const configured = Boolean(env.url && env.db && env.login && env.apiKey);
const unavailable = configured ? undefined : odooUnavailableReason();
if (unavailable) console.log(`odooClient.real: skipped (${unavailable}; or set ODOO_TEST_URL, ODOO_TEST_DB, ODOO_TEST_LOGIN and ODOO_TEST_API_KEY)`);
const describeReal = unavailable ? describe.skip : describe;

let shop: OdooShop | undefined;
if (!configured && !unavailable) {
  beforeAll(async () => {
    shop = await startShop('tt_client', { pixelId: 'CCLIENTPIXEL00000001', token: 'client-token-000001' });
    const key = shop.shell(`key = env['res.users.apikeys'].with_user(env.ref('base.user_admin')).sudo()._generate(None, 'client test', None)\nprint('@@RESULT@@' + key)`);
    Object.assign(env, { url: shop.odoo.url, db: shop.db, login: 'admin', apiKey: key });
  }, 15 * 60_000);
  afterAll(async () => {
    await shop?.stop();
  }, 120_000);
}

const quiet: OdooLogger = { warn: () => undefined, info: () => undefined };

function realConfig(over: Partial<OdooConnectionConfig> = {}): OdooConnectionConfig {
  return { url: env.url!, db: env.db, login: env.login!, apiKey: env.apiKey!, transport: 'auto', timeoutMs: 20_000, ...over };
}

/** Calls whose failure the double must reproduce exactly (same kind, Odoo class, status, message). */
const FAILING_CALLS: Array<[string, string, Parameters<ConnectedOdoo['call']>[2]]> = [
  ['res.partner', 'no_such_method', {}],
  ['website', 'tiktok_sidecar_settings_absent', {}],
  ['x_no.such_model', 'search', {}],
  ['res.partner', 'create', { kwargs: { vals_list: [{ email: 'nobody@example.com' }] } }],
  ['res.partner', 'write', { ids: [987654321], kwargs: { vals: { name: 'never written' } } }],
];

function summary(e: OdooError) {
  return { kind: e.kind, retryable: e.retryable, status: e.status, odooName: e.odooName, odooMessage: e.odooMessage };
}

describeReal('Odoo client against a real Odoo 19', () => {
  it('auto picks JSON-2 on Odoo 19', async () => {
    const odoo = await connectOdoo(realConfig(), quiet);
    try {
      expect(odoo.kind).toBe('json2');
      expect(odoo.serverVersion).toMatch(/^19\./);
    } finally {
      odoo.close();
    }
  });

  describe.each(['json2', 'xmlrpc'] as const)('%s', (transport) => {
    let odoo: ConnectedOdoo;
    let fake: FakeOdoo;
    let twin: ConnectedOdoo;

    beforeAll(async () => {
      odoo = await connectOdoo(realConfig({ transport }), quiet);
      fake = await startFakeOdoo({ major: 19, db: env.db, login: env.login, apiKey: env.apiKey, uid: odoo.uid });
      twin = await connectOdoo(realConfig({ transport, url: fake.url }), quiet);
    });
    afterAll(async () => {
      odoo?.close();
      twin?.close();
      await fake?.close();
    });

    it('logs in as a real user', () => {
      expect(odoo.kind).toBe(transport);
      expect(Number.isInteger(odoo.uid) && odoo.uid > 0).toBe(true);
    });

    it('leaves ids that do not exist out of read (no error)', async () => {
      await expect(odoo.call('res.partner', 'read', { ids: [987654321], kwargs: { fields: ['name'] } })).resolves.toEqual([]);
    });

    it('reads partners with search_read and read', async () => {
      const rows = await odoo.call<Array<{ id: number; name: string }>>('res.partner', 'search_read', {
        kwargs: { domain: [['active', '=', true]], fields: ['name'], limit: 2, order: 'id' },
      });
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThanOrEqual(2);
      for (const r of rows) expect(Object.keys(r).sort()).toEqual(['id', 'name']);
      const again = await odoo.call<Array<{ id: number; name: string }>>('res.partner', 'read', {
        ids: [rows[0].id],
        kwargs: { fields: ['name'] },
        context: { lang: 'en_US' },
      });
      expect(again).toEqual([rows[0]]);
    });

    it.each(FAILING_CALLS)('%s.%s fails the same way on Odoo and on the test double', async (model, method, params) => {
      const real = await failure(odoo.call(model, method, params));
      const double = await failure(twin.call(model, method, params));
      expect(summary(double)).toEqual(summary(real));
    });

    it('says a missing module method is missing_module, naming the module', async () => {
      const err = await failure(odoo.call('website', 'tiktok_sidecar_settings_absent'));
      expect(err.kind).toBe('missing_module');
      expect(err.message).toContain('website.tiktok_sidecar_settings_absent');
      expect(err.message).toContain('website_tiktok_events');
    });

    it('says a private method is access_denied', async () => {
      const err = await failure(odoo.call('res.partner', '_compute_display_name', { ids: [1] }));
      // The client lets the name through (it is a valid Python name); Odoo itself refuses private methods.
      expect(err.kind).toBe('access_denied');
      expect(err.odooMessage).toMatch(/cannot be called remotely/);
    });

    it('rejects a wrong key with bad_credentials', async () => {
      const err = await failure(connectOdoo(realConfig({ transport, apiKey: 'definitely-not-a-valid-key' }), quiet));
      expect(err.kind).toBe('bad_credentials');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('check ODOO_LOGIN and ODOO_API_KEY');
    });

    it('rejects an unknown database with wrong_database', async () => {
      const err = await failure(connectOdoo(realConfig({ transport, db: `${env.db}_does_not_exist` }), quiet));
      expect(err.kind).toBe('wrong_database');
      expect(err.message).toContain('ODOO_DB');
    });
  });
});
