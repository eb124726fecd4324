import request from 'supertest';
import { BROWSER_UA, relayEvent, SHOP, testSidecar, website } from '../../../tests/helpers/sidecar';
import { ConfigError, loadConfig } from '../config';
import { bearerToken, opsAccess } from '../ops';

const OPS_TOKEN = 'ops-token-for-tests-0123456789abcdef';
const TIKTOK_TOKEN = website().accessToken;

function relay(handler: Parameters<typeof request>[0], body: unknown) {
  return request(handler)
    .post('/tiktok/relay')
    .set('User-Agent', BROWSER_UA)
    .set('Origin', SHOP)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body));
}

describe('operations access (pure)', () => {
  it('reads a bearer token and nothing else', () => {
    expect(bearerToken(`Bearer ${OPS_TOKEN}`)).toBe(OPS_TOKEN);
    expect(bearerToken(`bearer  ${OPS_TOKEN}`)).toBe(OPS_TOKEN);
    expect(bearerToken(`Basic ${OPS_TOKEN}`)).toBeUndefined();
    expect(bearerToken(`Bearer ${OPS_TOKEN} extra`)).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('grants the exact token, refuses any other, and leaves callers without a header anonymous', () => {
    expect(opsAccess(`Bearer ${OPS_TOKEN}`, OPS_TOKEN)).toBe('granted');
    expect(opsAccess(undefined, OPS_TOKEN)).toBe('anonymous');
    expect(opsAccess(`Bearer ${OPS_TOKEN.slice(0, -1)}x`, OPS_TOKEN)).toBe('refused');
    expect(opsAccess(`Bearer ${OPS_TOKEN}0`, OPS_TOKEN)).toBe('refused');
    expect(opsAccess(`Bearer ${OPS_TOKEN.slice(0, 8)}`, OPS_TOKEN)).toBe('refused');
    expect(opsAccess(`Basic ${OPS_TOKEN}`, OPS_TOKEN)).toBe('refused');
  });

  it('grants nobody when no token is configured, whatever the header', () => {
    expect(opsAccess(`Bearer ${OPS_TOKEN}`, undefined)).toBe('anonymous');
    expect(opsAccess('Basic dXNlcjpwYXNz', undefined)).toBe('anonymous');
  });
});

describe('OPS_TOKEN configuration', () => {
  it('refuses a short token without echoing it', () => {
    const short = 'short-secret-123';
    expect(() => loadConfig({ OPS_TOKEN: short })).toThrow(ConfigError);
    try {
      loadConfig({ OPS_TOKEN: short });
    } catch (err) {
      expect((err as Error).message).toMatch(/OPS_TOKEN: expected at least 32 characters/);
      expect((err as Error).message).not.toContain(short);
    }
  });

  it('refuses a token with spaces, and an operations port equal to the relay port', () => {
    expect(() => loadConfig({ OPS_TOKEN: `${OPS_TOKEN} with spaces` })).toThrow(/printable characters without spaces/);
    expect(() => loadConfig({ RELAY_PORT: '9000', OPS_PORT: '9000' })).toThrow(/OPS_PORT must differ from RELAY_PORT/);
    expect(loadConfig({ OPS_TOKEN }).OPS_TOKEN).toBe(OPS_TOKEN);
  });
});

describe('/healthz and /metrics with OPS_TOKEN', () => {
  const auth = { Authorization: `Bearer ${OPS_TOKEN}` };

  it('tells an anonymous caller the status only, and an operator the details', async () => {
    const sidecar = testSidecar({ env: { OPS_TOKEN } });
    await relay(sidecar.handler, relayEvent());
    const anonymous = await request(sidecar.handler).get('/healthz');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ status: 'ok' });
    expect(anonymous.headers['cache-control']).toBe('no-store');

    const operator = await request(sidecar.handler).get('/healthz').set(auth);
    expect(operator.status).toBe(200);
    expect(operator.body).toMatchObject({
      status: 'ok',
      mode: 'relay-only',
      pixels: 1,
      outbox: { pending: 1, in_flight: 0 },
      memoryMb: { rss: expect.any(Number), heapUsed: expect.any(Number) },
    });
  });

  it('answers 401 to a wrong token on /healthz', async () => {
    const sidecar = testSidecar({ env: { OPS_TOKEN } });
    const res = await request(sidecar.handler).get('/healthz').set('Authorization', `Bearer ${OPS_TOKEN.replace(/.$/, 'x')}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toEqual({ error: 'unauthorized', detail: expect.stringContaining('Authorization: Bearer <OPS_TOKEN>') });
  });

  it('serves /metrics only with the token', async () => {
    const sidecar = testSidecar({ env: { OPS_TOKEN } });
    await relay(sidecar.handler, relayEvent());
    await relay(sidecar.handler, relayEvent({ event: 'Purchase' }));

    for (const header of [undefined, 'Bearer wrong-token', `Basic ${OPS_TOKEN}`]) {
      const req = request(sidecar.handler).get('/metrics');
      const res = await (header ? req.set('Authorization', header) : req);
      expect(res.status).toBe(401);
      expect(res.body.detail).toContain('Authorization: Bearer <OPS_TOKEN>');
      expect(res.text).not.toContain('tiktok_');
    }

    const metrics = await request(sidecar.handler).get('/metrics').set(auth);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('tiktok_relay_accepted_total{event="AddToCart"} 1');
    expect(metrics.text).toContain('tiktok_relay_refused_total{reason="event_not_allowed"} 1');
    expect(metrics.text).toContain('tiktok_outbox_events{state="pending"} 1');
    expect(metrics.text).not.toContain(TIKTOK_TOKEN);
    expect(metrics.text).not.toContain(OPS_TOKEN);
  });

  it('answers 503 with the bare status while stopping', async () => {
    const sidecar = testSidecar({ env: { OPS_TOKEN } });
    await sidecar.stop();
    const res = await request(sidecar.handler).get('/healthz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'stopping' });
  });
});

describe('/metrics without OPS_TOKEN', () => {
  it('is off, and says how to turn it on', async () => {
    const sidecar = testSidecar();
    const res = await request(sidecar.handler).get('/metrics').set('Authorization', `Bearer ${OPS_TOKEN}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'metrics_off', detail: expect.stringMatching(/set OPS_TOKEN .* or set OPS_PORT/) });
    const health = await request(sidecar.handler).get('/healthz').set('Authorization', `Bearer ${OPS_TOKEN}`);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
  });
});

describe('the operations port (OPS_PORT)', () => {
  it('serves details and metrics without a token there, and nothing of them on the relay port', async () => {
    const sidecar = testSidecar({ env: { OPS_PORT: '0', OPS_TOKEN } });
    const relayPort = await sidecar.start();
    try {
      const opsPort = sidecar.opsPort();
      expect(opsPort).toEqual(expect.any(Number));
      expect(opsPort).not.toBe(relayPort);
      const ops = `http://127.0.0.1:${opsPort}`;
      const main = `http://127.0.0.1:${relayPort}`;

      const health = await fetch(`${ops}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', mode: 'relay-only', outbox: { pending: 0 } });
      const metrics = await fetch(`${ops}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('tiktok_outbox_events{state="pending"} 0');

      expect(await (await fetch(`${main}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${main}/metrics`)).status).toBe(401);
      expect((await fetch(`${main}/metrics`, { headers: { Authorization: `Bearer ${OPS_TOKEN}` } })).status).toBe(200);
      // The relay is not served on the operations port.
      expect((await fetch(`${ops}/tiktok/relay`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      await sidecar.stop();
    }
  });

  it('points /metrics on the relay port to the operations port when there is no token', async () => {
    const sidecar = testSidecar({ env: { OPS_PORT: '9599' } });
    const res = await request(sidecar.handler).get('/metrics');
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain('operations port (OPS_HOST:OPS_PORT, 127.0.0.1:9599)');
  });
});
