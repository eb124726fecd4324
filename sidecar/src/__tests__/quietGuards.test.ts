/**
 * Guards that do their work by leaving something out: a header not replayed to
 * a redirect's target, a token not written to disk, a secret not logged. Each
 * test here fails when its guard is removed (docs/THREAT-MODEL.md).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import request from 'supertest';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../log';
import { Json2Transport } from '../odoo/json2';
import type { OdooTransport } from '../odoo/types';
import { SqliteOutbox } from '../outbox/outbox';
import { OdooSettingsSource } from '../settings/odoo';
import { displayUrl, HttpEventsApiClient } from '../tiktok/client';
import { BROWSER_UA, relayEvent, SHOP, testSidecar, website } from '../../../tests/helpers/sidecar';

interface Seen {
  path: string;
  headers: http.IncomingHttpHeaders;
}

/** A server answering every request with a redirect to `target`, and one recording what reaches it. */
async function redirectPair(): Promise<{ from: string; seenAtTarget: Seen[]; close: () => Promise<void> }> {
  const seenAtTarget: Seen[] = [];
  const target = http.createServer((req, res) => {
    seenAtTarget.push({ path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code":0,"message":"OK","data":{}}');
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  const redirector = http.createServer((req, res) => {
    req.resume();
    res.writeHead(307, { Location: `${targetUrl}${req.url}` }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  const from = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
  const close = async () => {
    await new Promise((r) => redirector.close(r));
    await new Promise((r) => target.close(r));
  };
  return { from, seenAtTarget, close };
}

describe('secrets never follow a redirect', () => {
  it('the Events API client does not replay the access token to where TikTok\'s address redirects', async () => {
    const pair = await redirectPair();
    try {
      const client = new HttpEventsApiClient({ baseUrl: `${pair.from}/open_api`, timeoutMs: 5000 });
      const outcome = await client.send('{"event_source":"web","event_source_id":"X","data":[]}', 'secret-access-token-123');
      expect(pair.seenAtTarget).toEqual([]);
      expect(outcome.kind).not.toBe('delivered');
    } finally {
      await pair.close();
    }
  });

  it('the JSON-2 transport does not replay the Odoo API key to where Odoo redirects', async () => {
    const pair = await redirectPair();
    try {
      const odoo = new Json2Transport({ baseUrl: pair.from, target: { url: pair.from, db: 'shop', login: 'tiktok-sidecar' }, apiKey: 'odoo-api-key-0123456789', timeoutMs: 5000 });
      await expect(odoo.call('website', 'tiktok_sidecar_settings')).rejects.toThrow();
      expect(pair.seenAtTarget).toEqual([]);
    } finally {
      await pair.close();
    }
  });
});

describe('the outbox file keeps no access token', () => {
  it('saves the settings snapshot without any website\'s token', async () => {
    const outbox = new SqliteOutbox(':memory:');
    const answer = [{
      website_id: 1, name: 'Shop', enabled: true, pixel_id: 'CPIXEL00000000000001', access_token: 'token-never-on-disk-01',
      domains: ['https://shop.example'], event_names: { Purchase: 'Purchase', SubmitForm: 'Lead' },
      consent_required: true, purchase_without_payment: false, debug: false,
    }];
    const transport: OdooTransport = { kind: 'json2', call: async () => answer as never };
    const settings = new OdooSettingsSource(async () => transport, pino({ level: 'silent' }), 60_000, outbox.settingsSnapshot);
    await settings.refresh();
    expect(settings.byPixel('CPIXEL00000000000001')?.accessToken).toBe('token-never-on-disk-01');
    const saved = outbox.immediate.settingsSnapshot.load();
    expect(saved).toContain('CPIXEL00000000000001');
    expect(saved).not.toContain('token-never-on-disk-01');
    void outbox.close();
  });
});

describe('logs', () => {
  function captured(): { lines: string[]; log: ReturnType<typeof createLogger> } {
    const lines: string[] = [];
    return { lines, log: createLogger('info', { write: (line: string) => void lines.push(line) }) };
  }

  it('redacts secrets and match keys by path, whatever a log call passes', () => {
    const { lines, log } = captured();
    log.info({ accessToken: 'tok-1', token: 'tok-2', apiKey: 'key-3', headers: { authorization: 'bearer key-4', 'access-token': 'tok-5' }, user: { email: 'ann@example.com' }, phone: '+32470123456' }, 'x');
    const text = lines.join('');
    for (const secret of ['tok-1', 'tok-2', 'key-3', 'key-4', 'tok-5', 'ann@example.com', '+32470123456']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('names TikTok\'s address without the credentials a base URL may carry', () => {
    expect(displayUrl('https://user:pa55word@business-api.tiktok.com/open_api/v1.3/event/track/?x=1')).toBe(
      'https://business-api.tiktok.com/open_api/v1.3/event/track/',
    );
  });
});

describe('configuration', () => {
  it('refuses to start with an Odoo address but no API key, naming what is missing', () => {
    expect(() => loadConfig({ ODOO_URL: 'http://127.0.0.1:8069', ODOO_LOGIN: 'tiktok-sidecar' })).toThrow(ConfigError);
    expect(() => loadConfig({ ODOO_URL: 'http://127.0.0.1:8069', ODOO_LOGIN: 'tiktok-sidecar' })).toThrow(/ODOO_API_KEY/);
  });
});

describe('relay', () => {
  it('refuses events of a pixel whose website turned tracking off (403 pixel_disabled), storing nothing', async () => {
    const sidecar = testSidecar({ websites: [website({ enabled: false })] });
    const res = await request(sidecar.handler)
      .post('/tiktok/relay')
      .set('User-Agent', BROWSER_UA)
      .set('Origin', SHOP)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(relayEvent({ event_id: 'off-1' })));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('pixel_disabled');
    expect((await sidecar.outbox.events.counts()).pending).toBe(0);
  });
});
