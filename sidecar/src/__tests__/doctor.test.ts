import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config';
import { runDoctor } from '../doctor';
import { startFakeEventsApi, type FakeEventsApi } from '../../../tests/support/fakeEventsApi';

describe('doctor', () => {
  let api: FakeEventsApi;
  let dir: string;
  beforeAll(async () => {
    api = await startFakeEventsApi({ tokens: { CDOCTORPIXEL00000001: 'good-token-000001' } });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doctor-'));
  });
  afterAll(async () => {
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const env = (token: string, baseUrl = api.baseUrl) =>
    loadConfig({ OUTBOX_PATH: path.join(dir, 'o.sqlite'), TIKTOK_API_BASE_URL: baseUrl, TIKTOK_PIXEL_ID: 'CDOCTORPIXEL00000001', TIKTOK_ACCESS_TOKEN: token, TIKTOK_TIMEOUT_MS: '2000' });

  it('passes a good token without creating an event', async () => {
    const findings = await runDoctor(env('good-token-000001'));
    expect(findings.every((f) => f.ok)).toBe(true);
    expect(findings.find((f) => f.check === 'Events API address')?.detail).toMatch(/answers like the Events API/);
    expect(api.delivered).toHaveLength(0);
  });

  it('says a base URL with a wrong path is not the Events API, not that the token is wrong', async () => {
    const wrong = api.baseUrl.replace(/\/open_api$/, '/openapi');
    const findings = await runDoctor(env('good-token-000001', wrong));
    const failed = findings.filter((f) => !f.ok);
    expect(failed).toEqual([
      {
        ok: false,
        check: 'Events API address',
        detail: expect.stringMatching(new RegExp(`^${wrong}/v1\\.3/event/track/ is not the Events API \\(HTTP 404 .*\\); check TIKTOK_API_BASE_URL`)),
      },
    ]);
    expect(findings.some((f) => f.check.startsWith('token'))).toBe(false);
  });

  it('says when something other than the Events API answers (a portal page)', async () => {
    const portal = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><body>Please log in to the network</body></html>');
    });
    await new Promise<void>((resolve) => portal.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(portal.address() as AddressInfo).port}/open_api`;
      const address = (await runDoctor(env('good-token-000001', base))).find((f) => f.check === 'Events API address');
      expect(address).toMatchObject({ ok: false, detail: expect.stringMatching(/did not answer like the Events API \(HTTP 200 with an HTML page/) });
    } finally {
      await new Promise<void>((resolve) => portal.close(() => resolve()));
    }
  });

  it('says when the base URL cannot be reached', async () => {
    const findings = await runDoctor(env('good-token-000001', 'http://127.0.0.1:9/open_api'));
    expect(findings.filter((f) => !f.ok)).toEqual([
      { ok: false, check: 'Events API address', detail: expect.stringMatching(/^cannot reach http:\/\/127\.0\.0\.1:9\/open_api\/v1\.3\/event\/track\/ \(ECONNREFUSED\); check TIKTOK_API_BASE_URL/) },
    ]);
  });

  it('says which token TikTok refuses', async () => {
    const findings = await runDoctor(env('bad-token-0000001'));
    expect(findings.filter((f) => !f.ok)).toEqual([{ ok: false, check: 'token of pixel CDOCTORPIXEL00000001', detail: expect.stringMatching(/TikTok refused the token \(40105\)/) }]);
  });

  it('says an expired token is a token problem', async () => {
    api.setStickyFault('token_expired');
    try {
      const token = (await runDoctor(env('good-token-000001'))).find((f) => f.check.startsWith('token'));
      expect(token).toMatchObject({ ok: false, detail: expect.stringMatching(/TikTok refused the token \(40104\)/) });
    } finally {
      api.setStickyFault();
    }
  });

  it('says when Odoo cannot be reached', async () => {
    const findings = await runDoctor(loadConfig({ OUTBOX_PATH: path.join(dir, 'o.sqlite'), ODOO_URL: 'http://127.0.0.1:9', ODOO_LOGIN: 'sidecar', ODOO_API_KEY: 'k'.repeat(40) }));
    const odoo = findings.find((f) => f.check === 'odoo');
    expect(odoo?.ok).toBe(false);
    expect(odoo?.detail).toMatch(/127\.0\.0\.1:9/);
    expect(JSON.stringify(findings)).not.toContain('k'.repeat(40));
  });
});
