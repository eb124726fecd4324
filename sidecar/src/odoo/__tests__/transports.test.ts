import { inspect } from 'node:util';
import { connectOdoo } from '../connect';
import { OdooError, type OdooErrorKind } from '../errors';
import type { ConnectedOdoo, OdooConnectionConfig } from '../types';
import { failure, refusedPort, startFakeOdoo, type FakeOdoo } from './fakeOdoo';

const API_KEY = 'f3e1c0ffee5ec7e7f3e1c0ffee5ec7e7f3e1c0ff';

function expectKind(err: OdooError, kind: OdooErrorKind, retryable: boolean): void {
  expect({ kind: err.kind, retryable: err.retryable }).toEqual({ kind, retryable });
  // Whatever went wrong, the key must never travel with the error into a log line.
  expect(err.message).not.toContain(API_KEY);
  expect(JSON.stringify(err)).not.toContain(API_KEY);
  expect(inspect(err, { depth: 5, showHidden: true })).not.toContain(API_KEY);
}

describe.each(['json2', 'xmlrpc'] as const)('%s transport against a fake Odoo 19', (transport) => {
  let fake: FakeOdoo;
  let odoo: ConnectedOdoo;
  const cfg = (over: Partial<OdooConnectionConfig> = {}): OdooConnectionConfig => ({
    url: fake.url,
    db: 'shop',
    login: 'tiktok-sidecar',
    apiKey: API_KEY,
    transport,
    timeoutMs: 400,
    ...over,
  });

  beforeEach(async () => {
    fake = await startFakeOdoo({ db: 'shop', apiKey: API_KEY, uid: 7, login: 'tiktok-sidecar' });
    odoo = await connectOdoo(cfg(), { warn: () => undefined, info: () => undefined });
  });
  afterEach(async () => {
    odoo.close();
    await fake.close();
  });

  it('connects as the key owner and reports its kind', () => {
    expect(odoo.kind).toBe(transport);
    expect(odoo.uid).toBe(7);
    expect(odoo.serverVersion).toBe('19.0');
  });

  it('passes keyword arguments and returns Odoo’s result unchanged', async () => {
    const rows = await odoo.call<Array<Record<string, unknown>>>('res.partner', 'search_read', {
      kwargs: { domain: [['id', 'in', [3, 97]]], fields: ['name', 'parent_id'], limit: 5 },
    });
    expect(rows).toEqual([
      { id: 3, name: 'Mitchell Admin', parent_id: false },
      { id: 97, name: 'Abigail Carter', parent_id: [14, 'Azure Interior'] },
    ]);
  });

  it('leaves deleted ids out of read, as Odoo does', async () => {
    await expect(odoo.call('res.partner', 'read', { ids: [3, 999999], kwargs: { fields: ['name'] } })).resolves.toEqual([
      { id: 3, name: 'Mitchell Admin' },
    ]);
  });

  it('passes record ids and context', async () => {
    const rows = await odoo.call('res.partner', 'read', { ids: [52], kwargs: { fields: ['email'] }, context: { lang: 'fr_FR' } });
    expect(rows).toEqual([{ id: 52, email: 'abigail.peterson39@example.com' }]);
    const last = fake.calls[fake.calls.length - 1];
    expect(last).toMatchObject({ transport, model: 'res.partner', method: 'read', ids: [52] });
    expect(last.kwargs).toEqual({ fields: ['email'], context: { lang: 'fr_FR' } });
  });

  if (transport === 'json2') {
    it('sends the key as a bearer token and names the database in a header', async () => {
      await odoo.call('res.users', 'context_get');
      const last = fake.calls[fake.calls.length - 1];
      expect(last.headers.authorization).toBe(`bearer ${API_KEY}`);
      expect(last.headers['x-odoo-database']).toBe('shop');
      expect(last.headers['content-type']).toMatch(/^application\/json/);
    });
  }

  it('turns a missing module method into missing_module, naming the module', async () => {
    const err = await failure(odoo.call('website', 'tiktok_sidecar_settings'));
    expectKind(err, 'missing_module', false);
    expect(err.message).toContain('website.tiktok_sidecar_settings');
    expect(err.message).toContain('website_tiktok_events');
  });

  it('turns an unknown model into missing_module', async () => {
    const err = await failure(odoo.call('x_tiktok.claim', 'search'));
    expectKind(err, 'missing_module', false);
  });

  it('turns an AccessError into access_denied, naming the login and Odoo’s reason', async () => {
    const err = await failure(odoo.call('payment.transaction', 'search_read', { kwargs: { domain: [] } }));
    expectKind(err, 'access_denied', false);
    expect(err.message).toContain("login 'tiktok-sidecar'");
    expect(err.message).toContain('payment.transaction');
    expect(err.odooMessage).toMatch(/not allowed to access 'Payment Transaction'/);
  });

  it('turns a ValidationError into validation with Odoo’s message', async () => {
    const err = await failure(odoo.call('res.partner', 'create', { kwargs: { vals_list: [{ email: 'x@example.com' }] } }));
    expectKind(err, 'validation', false);
    expect(err.message).toContain('Contacts require a name');
  });

  it('turns a MissingError (deleted record) into validation, not a missing module', async () => {
    const err = await failure(odoo.call('res.partner', 'write', { ids: [999999], kwargs: { vals: { name: 'x' } } }));
    expectKind(err, 'validation', false);
    expect(err.message).toContain('Record does not exist');
  });

  it('turns a crash inside Odoo into a retryable server_error', async () => {
    const err = await failure(odoo.call('sale.order', 'crash'));
    expectKind(err, 'server_error', true);
    expect(err.message).toContain("'amount_total'");
  });

  it('turns a proxy 502 into a retryable server_error', async () => {
    fake.breakWith('proxy502');
    const err = await failure(odoo.call('res.users', 'context_get'));
    expectKind(err, 'server_error', true);
    expect(err.status).toBe(502);
  });

  it('turns a non-Odoo 500 page into a retryable server_error', async () => {
    fake.breakWith('crash500');
    expectKind(await failure(odoo.call('res.users', 'context_get')), 'server_error', true);
  });

  it('turns a truncated body into a retryable bad_response', async () => {
    fake.breakWith('garbage');
    expectKind(await failure(odoo.call('res.users', 'context_get')), 'bad_response', true);
  });

  it('gives up after timeoutMs and reports a retryable unreachable', async () => {
    fake.breakWith('hang');
    const started = Date.now();
    const err = await failure(odoo.call('res.users', 'context_get'));
    expectKind(err, 'unreachable', true);
    expect(err.message).toContain('no answer within 400 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('recovers once Odoo answers again (the transport stays usable)', async () => {
    fake.breakWith('proxy502');
    await failure(odoo.call('res.users', 'context_get'));
    fake.breakWith('none');
    await expect(odoo.call('res.users', 'context_get')).resolves.toMatchObject({ uid: 7 });
  });

  it('reports a key revoked while running as bad_credentials', async () => {
    fake.rotateKey('a-brand-new-key-the-sidecar-does-not-have');
    const err = await failure(odoo.call('res.partner', 'search_read', { kwargs: { limit: 1 } }));
    expectKind(err, 'bad_credentials', false);
    expect(err.message).toContain('check ODOO_LOGIN and ODOO_API_KEY');
  });

  it('reports a stopped Odoo as retryable unreachable', async () => {
    await fake.close();
    const err = await failure(odoo.call('res.users', 'context_get'));
    expectKind(err, 'unreachable', true);
    fake = await startFakeOdoo(); // afterEach closes it
  });

  it('refuses malformed model or method names without calling Odoo', async () => {
    const before = fake.calls.length;
    expectKind(await failure(odoo.call('res.partner/../x', 'read')), 'validation', false);
    expectKind(await failure(odoo.call('res.partner', 'read?x=1')), 'validation', false);
    expect(fake.calls.length).toBe(before);
  });

  it('rejects a wrong API key at connect with bad_credentials naming the settings', async () => {
    const err = await failure(connectOdoo(cfg({ apiKey: 'not-the-key' })));
    expectKind(err, 'bad_credentials', false);
    expect(err.message).toBe(
      `Odoo at ${fake.url} rejected the API key for login 'tiktok-sidecar' (database 'shop'): check ODOO_LOGIN and ODOO_API_KEY`,
    );
    expect(err.message).not.toContain('not-the-key');
  });

  it('rejects an unknown database at connect with wrong_database', async () => {
    const err = await failure(connectOdoo(cfg({ db: 'shop_typo' })));
    expectKind(err, 'wrong_database', false);
    expect(err.message).toContain("no database 'shop_typo'");
    expect(err.message).toContain('ODOO_DB');
  });

  it('reports connection refused at connect as retryable unreachable', async () => {
    const port = await refusedPort();
    const err = await failure(connectOdoo(cfg({ url: `http://127.0.0.1:${port}` })));
    expectKind(err, 'unreachable', true);
    expect(err.message).toContain('connection refused');
  });
});

describe('database selection', () => {
  let fake: FakeOdoo;
  afterEach(async () => fake.close());

  it.each(['json2', 'xmlrpc'] as const)('%s: finds the only database when ODOO_DB is unset', async (transport) => {
    fake = await startFakeOdoo({ db: 'solo', databases: ['solo'], apiKey: API_KEY });
    const odoo = await connectOdoo({ url: fake.url, login: 'tiktok-sidecar', apiKey: API_KEY, transport });
    await expect(odoo.call('res.users', 'context_get')).resolves.toMatchObject({ uid: 7 });
    odoo.close();
  });

  it.each(['json2', 'xmlrpc'] as const)('%s: asks for ODOO_DB when Odoo hosts several databases', async (transport) => {
    fake = await startFakeOdoo({ db: 'shop', databases: ['shop', 'staging'], apiKey: API_KEY });
    const err = await failure(connectOdoo({ url: fake.url, login: 'tiktok-sidecar', apiKey: API_KEY, transport }));
    expectKind(err, 'wrong_database', false);
    expect(err.message).toContain('set ODOO_DB');
  });
});
