import fs from 'node:fs';
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

  const env = (token: string) =>
    loadConfig({ OUTBOX_PATH: path.join(dir, 'o.sqlite'), TIKTOK_API_BASE_URL: api.baseUrl, TIKTOK_PIXEL_ID: 'CDOCTORPIXEL00000001', TIKTOK_ACCESS_TOKEN: token });

  it('passes a good token without creating an event', async () => {
    const findings = await runDoctor(env('good-token-000001'));
    expect(findings.every((f) => f.ok)).toBe(true);
    expect(api.delivered).toHaveLength(0);
  });

  it('says which token TikTok refuses', async () => {
    const findings = await runDoctor(env('bad-token-0000001'));
    expect(findings.find((f) => !f.ok)?.detail).toMatch(/TikTok refused the token \(40105\)/);
  });

  it('says when Odoo cannot be reached', async () => {
    const findings = await runDoctor(loadConfig({ OUTBOX_PATH: path.join(dir, 'o.sqlite'), ODOO_URL: 'http://127.0.0.1:9', ODOO_LOGIN: 'sidecar', ODOO_API_KEY: 'k'.repeat(40) }));
    const odoo = findings.find((f) => f.check === 'odoo');
    expect(odoo?.ok).toBe(false);
    expect(odoo?.detail).toMatch(/127\.0\.0\.1:9/);
    expect(JSON.stringify(findings)).not.toContain('k'.repeat(40));
  });
});
