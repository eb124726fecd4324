import http from 'node:http';
import { connectOdoo } from '../connect';
import type { OdooConnectionConfig, OdooLogger } from '../types';
import { failure, startFakeOdoo, startHttpStub, startNotOdoo, type FakeOdoo } from './fakeOdoo';

const API_KEY = '9d2f6a1b3c4e5f60718293a4b5c6d7e8f9012345';

function recordingLogger(): OdooLogger & { lines: Array<{ level: string; obj: object; msg: string }> } {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  return {
    lines,
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
  };
}

describe('connectOdoo: choosing the transport', () => {
  let fake: FakeOdoo;
  afterEach(async () => fake?.close());
  const cfg = (over: Partial<OdooConnectionConfig> = {}): OdooConnectionConfig => ({
    url: fake.url,
    db: 'shop',
    login: 'tiktok-sidecar',
    apiKey: API_KEY,
    transport: 'auto',
    timeoutMs: 1000,
    ...over,
  });

  it('auto picks JSON-2 on Odoo 19 and never touches XML-RPC (no deprecation flood)', async () => {
    fake = await startFakeOdoo({ major: 19, apiKey: API_KEY });
    const log = recordingLogger();
    const odoo = await connectOdoo(cfg(), log);
    await odoo.call('res.partner', 'search_read', { kwargs: { limit: 1 } });
    odoo.close();
    expect(odoo.kind).toBe('json2');
    expect(fake.hits.get('/web/version')).toBe(1);
    expect([...fake.hits.keys()].filter((p) => p.startsWith('/xmlrpc'))).toEqual([]);
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(log.lines).toEqual([
      {
        level: 'info',
        msg: 'connected to Odoo',
        obj: { url: fake.url, db: 'shop', login: 'tiktok-sidecar', transport: 'json2', version: '19.0', uid: 7 },
      },
    ]);
  });

  it('auto picks XML-RPC on Odoo 17', async () => {
    fake = await startFakeOdoo({ major: 17, apiKey: API_KEY });
    const odoo = await connectOdoo(cfg());
    expect(odoo.kind).toBe('xmlrpc');
    expect(odoo.serverVersion).toBe('17.0');
    await expect(odoo.call('res.users', 'context_get')).resolves.toMatchObject({ uid: 7 });
    odoo.close();
    expect(fake.hits.get('/json/2/res.users/context_get')).toBeUndefined();
  });

  it('falls back to XML-RPC common.version() when /web/version does not exist', async () => {
    fake = await startFakeOdoo({ major: null, apiKey: API_KEY });
    const odoo = await connectOdoo(cfg());
    expect(odoo.kind).toBe('xmlrpc');
    expect(odoo.serverVersion).toBe('16.0');
    odoo.close();
  });

  it('forced XML-RPC on Odoo 19 works but warns once about the log flood', async () => {
    fake = await startFakeOdoo({ major: 19, apiKey: API_KEY });
    const log = recordingLogger();
    const odoo = await connectOdoo(cfg({ transport: 'xmlrpc' }), log);
    expect(odoo.kind).toBe('xmlrpc');
    odoo.close();
    const warnings = log.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toMatch(/deprecated in Odoo 19\.0.*ODOO_TRANSPORT=json2/);
  });

  it('forced JSON-2 on Odoo 17 fails with bad_url naming ODOO_TRANSPORT', async () => {
    fake = await startFakeOdoo({ major: 17, apiKey: API_KEY });
    const err = await failure(connectOdoo(cfg({ transport: 'json2' })));
    expect(err.kind).toBe('bad_url');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('17.0');
    expect(err.message).toContain('ODOO_TRANSPORT=xmlrpc');
  });

  it('never writes the API key into a log line', async () => {
    fake = await startFakeOdoo({ major: 19, apiKey: API_KEY });
    const log = recordingLogger();
    (await connectOdoo(cfg({ transport: 'xmlrpc' }), log)).close();
    (await connectOdoo(cfg({ transport: 'json2' }), log)).close();
    expect(log.lines.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(log.lines)).not.toContain(API_KEY);
  });
});

describe('connectOdoo: wrong address', () => {
  const base = { db: 'shop', login: 'tiktok-sidecar', apiKey: API_KEY, transport: 'auto' as const, timeoutMs: 1000 };

  it.each(['', 'odoo:8069', 'ftp://odoo', 'http://user:pw@odoo:8069', 'http://odoo:8069/?db=shop'])(
    'refuses %j before any request',
    async (url) => {
      const err = await failure(connectOdoo({ ...base, url }));
      expect(err.kind).toBe('bad_url');
      expect(err.message).toContain('ODOO_URL');
    },
  );

  it('says a web server that is not Odoo is the wrong URL', async () => {
    const notOdoo = await startNotOdoo();
    try {
      const err = await failure(connectOdoo({ ...base, url: notOdoo.url }));
      expect(err.kind).toBe('bad_url');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain(notOdoo.url);
      expect(err.message).toContain('check ODOO_URL');
    } finally {
      await notOdoo.close();
    }
  });

  it('reports a redirect with its target instead of following it', async () => {
    const stub = await startHttpStub((_req, res) => {
      res.writeHead(301, { Location: 'https://shop.example/web/version' });
      res.end();
    });
    try {
      const err = await failure(connectOdoo({ ...base, url: stub.url }));
      expect(err.kind).toBe('bad_url');
      expect(err.message).toContain('https://shop.example/web/version');
    } finally {
      await stub.close();
    }
  });

  it('treats a 503 from a proxy while Odoo restarts as retryable', async () => {
    const stub = await startHttpStub((_req, res) => {
      res.writeHead(503, { 'Content-Type': 'text/html' });
      res.end('<h1>503 Service Unavailable</h1>');
    });
    try {
      const err = await failure(connectOdoo({ ...base, url: stub.url }));
      expect(err.kind).toBe('server_error');
      expect(err.retryable).toBe(true);
    } finally {
      await stub.close();
    }
  });

  it('keeps a path prefix (Odoo behind a proxy under /odoo)', async () => {
    const fake = await startFakeOdoo({ major: 19, apiKey: API_KEY });
    const proxy = await startHttpStub((req, res) => {
      if (!req.url?.startsWith('/odoo/')) {
        res.writeHead(404);
        res.end();
        return;
      }
      const upstream = http.request(
        `${fake.url}${req.url.slice('/odoo'.length)}`,
        { method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    try {
      for (const transport of ['json2', 'xmlrpc'] as const) {
        const odoo = await connectOdoo({ ...base, transport, url: `${proxy.url}/odoo/` });
        await expect(odoo.call('res.users', 'context_get')).resolves.toMatchObject({ uid: 7 });
        odoo.close();
      }
    } finally {
      await proxy.close();
      await fake.close();
    }
  });

  it('refuses empty credentials before any request', async () => {
    const err = await failure(connectOdoo({ ...base, url: 'http://127.0.0.1:1', apiKey: '  ' }));
    expect(err.kind).toBe('bad_credentials');
    expect(err.message).toContain('ODOO_API_KEY');
  });
});
