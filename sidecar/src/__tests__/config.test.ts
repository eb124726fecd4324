import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, configWarnings, loadConfig, openFilesLimit } from '../config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('relay limits in the environment', () => {
  it('has defaults that let a shop in dong or rupiah through and stop absurd amounts', () => {
    const cfg = loadConfig({});
    expect(cfg).toMatchObject({
      RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: 600,
      RELAY_BODY_TIMEOUT_MS: 5000,
      RELAY_MAX_VALUE: 1_000_000_000,
      RELAY_MAX_PRICE: 1_000_000_000,
      RELAY_MAX_QUANTITY: 10_000,
      OUTBOX_MAX_WAITING_PER_PIXEL: 100_000,
    });
  });

  it('reads decimals and exponents for the ceilings', () => {
    expect(loadConfig({ RELAY_MAX_VALUE: '2500.5', RELAY_MAX_PRICE: '1e6', RELAY_MAX_QUANTITY: '50' })).toMatchObject({
      RELAY_MAX_VALUE: 2500.5,
      RELAY_MAX_PRICE: 1_000_000,
      RELAY_MAX_QUANTITY: 50,
    });
  });

  it.each([
    ['RELAY_MAX_VALUE', '0', /RELAY_MAX_VALUE: expected a number above 0/],
    ['RELAY_MAX_PRICE', 'lots', /RELAY_MAX_PRICE: expected a number/],
    ['RELAY_MAX_QUANTITY', 'Infinity', /RELAY_MAX_QUANTITY:/],
    ['RELAY_MAX_VALUE', '1e308', /RELAY_MAX_VALUE:/],
    ['RELAY_BODY_TIMEOUT_MS', '10', /RELAY_BODY_TIMEOUT_MS:/],
    ['OUTBOX_MAX_WAITING_PER_PIXEL', '-1', /OUTBOX_MAX_WAITING_PER_PIXEL:/],
    ['RELAY_RATE_LIMIT_EVENTS_PER_MINUTE', 'many', /RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: expected a number/],
  ])('refuses %s=%s with a line naming it', (name, value, message) => {
    expect(problems({ [name]: value }).join('\n')).toMatch(message);
  });

  it('refuses an events budget smaller than one full request, but allows 0 (off)', () => {
    expect(problems({ RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '10' })).toEqual([
      'RELAY_RATE_LIMIT_EVENTS_PER_MINUTE must be 0 (off) or at least 20, the events one request may carry',
    ]);
    expect(problems({ RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '0' })).toEqual([]);
    expect(problems({ RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '20' })).toEqual([]);
  });
});

describe('loadConfig: lane pauses', () => {
  it('pauses a lane 5 s at first, at most 5 min, by default', () => {
    expect(loadConfig({})).toMatchObject({ LANE_PAUSE_BASE_MS: 5000, LANE_PAUSE_MAX_MS: 300_000 });
    expect(loadConfig({ LANE_PAUSE_BASE_MS: '200', LANE_PAUSE_MAX_MS: '1000' })).toMatchObject({ LANE_PAUSE_BASE_MS: 200, LANE_PAUSE_MAX_MS: 1000 });
  });

  it.each([
    [{ LANE_PAUSE_BASE_MS: 'soon' }, /LANE_PAUSE_BASE_MS: expected a number \(got "soon"\)/],
    [{ LANE_PAUSE_BASE_MS: '10' }, /LANE_PAUSE_BASE_MS/],
    [{ LANE_PAUSE_BASE_MS: '60000', LANE_PAUSE_MAX_MS: '1000' }, /LANE_PAUSE_MAX_MS must be at least LANE_PAUSE_BASE_MS/],
    [{ UNAUTHORIZED_PAUSE_MS: '300000' }, /UNAUTHORIZED_PAUSE_MS is no longer read: use LANE_PAUSE_MAX_MS/],
  ])('refuses %j with a clear message', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('loadConfig: the replica id', () => {
  it('is unset by default (the host name is used) and read as given', () => {
    expect(loadConfig({}).SIDECAR_REPLICA_ID).toBeUndefined();
    expect(loadConfig({ SIDECAR_REPLICA_ID: 'shop-sidecar-1' }).SIDECAR_REPLICA_ID).toBe('shop-sidecar-1');
  });

  it.each(['shop sidecar', 'x'.repeat(129), 'sidecar\\1'])('refuses %j with what it expects', (value) => {
    expect(problems({ SIDECAR_REPLICA_ID: value }).join('\n')).toMatch(/^SIDECAR_REPLICA_ID: expected 1 to 128 letters, digits and \. _ : @ \/ \+ -/);
  });
});

describe('loadConfig: what an unlucky operator is told', () => {
  it.each([
    ['RELAY_PORT', '99999', 'RELAY_PORT: expected a whole number from 0 to 65535 (got "99999")'],
    ['RELAY_MAX_BODY_BYTES', '10', 'RELAY_MAX_BODY_BYTES: expected a whole number from 1024 to 1048576 (got "10")'],
    ['DISPATCH_CONCURRENCY', '1.5', 'DISPATCH_CONCURRENCY: expected a whole number from 1 to 64 (got "1.5")'],
    ['RELAY_MAX_VALUE', '1e16', 'RELAY_MAX_VALUE: expected a number up to 1000000000000000 (got "1e16")'],
    ['TIKTOK_MAX_REQUESTS_PER_SECOND', '-1', 'TIKTOK_MAX_REQUESTS_PER_SECOND: expected a whole number from 0 to 10000 (got "-1")'],
    ['TIKTOK_MAX_REQUESTS_PER_SECOND', '2.5', 'TIKTOK_MAX_REQUESTS_PER_SECOND: expected a whole number from 0 to 10000 (got "2.5")'],
  ])('names the bounds of %s=%s, not only "a number"', (name, value, message) => {
    expect(problems({ [name]: value })).toEqual([message]);
  });

  it.each(['/healthz', '/readyz', '/livez', '/metrics'])('refuses RELAY_PATH=%s, which would hide an operations route behind the relay', (path) => {
    expect(problems({ RELAY_PATH: path }).join('\n')).toMatch(/^RELAY_PATH: expected a path other than \/healthz, \/readyz, \/livez, \/metrics/);
  });

  it('refuses a per-address connection cap above the overall one', () => {
    expect(problems({ RELAY_MAX_CONNECTIONS: '10', RELAY_MAX_CONNECTIONS_PER_IP: '20' })).toEqual(['RELAY_MAX_CONNECTIONS_PER_IP must be at most RELAY_MAX_CONNECTIONS']);
  });
});

describe('configWarnings', () => {
  it('says nothing of a sound configuration, nor of variables that are not the sidecar’s', () => {
    const env = { PATH: '/usr/bin', HOME: '/root', NODE_ENV: 'production', RELAY_PORT: '8787' };
    expect(configWarnings(loadConfig(env), env, 1_048_576)).toEqual([]);
  });

  it('names a misspelt variable of the sidecar, which would leave the default in force, and never its value', () => {
    const env = { RELAY_MAX_BODY: '131072', TIKTOK_ACCES_TOKEN: 'secret-token-value-1234' };
    const warnings = configWarnings(loadConfig(env), env, undefined);
    expect(warnings).toEqual([
      expect.stringMatching(/^RELAY_MAX_BODY is not a setting of the sidecar and is ignored; the RELAY_… settings are .*RELAY_MAX_BODY_BYTES/),
      expect.stringMatching(/^TIKTOK_ACCES_TOKEN is not a setting of the sidecar and is ignored; the TIKTOK_… settings are .*TIKTOK_ACCESS_TOKEN/),
    ]);
    expect(warnings.join('\n')).not.toContain('secret-token-value-1234');
  });

  it('warns when the operations port, which needs no token, listens beyond this machine', () => {
    const exposed = { OPS_PORT: '9100', OPS_HOST: '0.0.0.0' };
    expect(configWarnings(loadConfig(exposed), exposed, undefined)).toEqual([expect.stringMatching(/^OPS_PORT listens on 0\.0\.0\.0, not only on this machine/)]);
    const local = { OPS_PORT: '9100', OPS_HOST: '127.0.0.1' };
    expect(configWarnings(loadConfig(local), local, undefined)).toEqual([]);
  });

  it('warns when the system would refuse connections before RELAY_MAX_CONNECTIONS does', () => {
    const cfg = loadConfig({});
    expect(configWarnings(cfg, {}, 1024)).toEqual([expect.stringMatching(/^RELAY_MAX_CONNECTIONS is 2048 but the process may open only 1024 files.*below 896/)]);
    expect(configWarnings(cfg, {}, 4096)).toEqual([]);
  });

  it('reads the open-files limit of this process', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'limits-'));
    const file = path.join(dir, 'limits');
    fs.writeFileSync(file, 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 4096                 files     \n');
    expect(openFilesLimit(file)).toBe(1024);
    expect(openFilesLimit(path.join(dir, 'absent'))).toBeUndefined();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('loadConfig: the PostgreSQL outbox', () => {
  const URL_WITH_SECRET = 'postgres://outbox:s3cret-pw@db.internal:5433/tiktok_outbox';

  it('selects PostgreSQL with a postgres:// or postgresql:// URL, with a small pool and a lease of minutes', () => {
    expect(loadConfig({ OUTBOX_URL: URL_WITH_SECRET })).toMatchObject({ OUTBOX_URL: URL_WITH_SECRET, OUTBOX_PG_POOL_MAX: 5, OUTBOX_LEASE_MS: 120_000 });
    expect(loadConfig({ OUTBOX_URL: 'postgresql://outbox@localhost/outbox' }).OUTBOX_URL).toBe('postgresql://outbox@localhost/outbox');
    expect(loadConfig({}).OUTBOX_URL).toBeUndefined();
  });

  it.each([
    ['not a url s3cret-pw', /OUTBOX_URL: expected a URL such as postgres:\/\/user:password@host:5432\/database/],
    ['mysql://outbox:s3cret-pw@db/outbox', /OUTBOX_URL: expected a postgres:\/\/ or postgresql:\/\/ URL .*\(the scheme is mysql:\)/],
    ['postgres://outbox:s3cret-pw@db.internal:5433/', /OUTBOX_URL: expected a database name after the host/],
  ])('refuses OUTBOX_URL=%s with what is wrong, never its password', (value, message) => {
    const text = problems({ OUTBOX_URL: value }).join('\n');
    expect(text).toMatch(message);
    expect(text).not.toContain('s3cret-pw');
  });

  it('refuses OUTBOX_URL with an OUTBOX_PATH set too, and takes it with OUTBOX_PATH left blank', () => {
    expect(problems({ OUTBOX_URL: URL_WITH_SECRET, OUTBOX_PATH: '/var/lib/sidecar/outbox.sqlite' })).toEqual([
      'OUTBOX_URL and OUTBOX_PATH are both set: the outbox is either the PostgreSQL database of OUTBOX_URL or the file of OUTBOX_PATH, unset one',
    ]);
    expect(problems({ OUTBOX_URL: URL_WITH_SECRET, OUTBOX_PATH: '' })).toEqual([]);
  });

  it('refuses a lease shorter than four TikTok request timeouts, for the PostgreSQL outbox only', () => {
    expect(problems({ OUTBOX_URL: URL_WITH_SECRET, OUTBOX_LEASE_MS: '30000', TIKTOK_TIMEOUT_MS: '10000' })).toEqual([
      'OUTBOX_LEASE_MS must be at least 4 × TIKTOK_TIMEOUT_MS (40000 ms): a batch still being sent must not return to the queue',
    ]);
    expect(problems({ OUTBOX_URL: URL_WITH_SECRET, OUTBOX_LEASE_MS: '40000', TIKTOK_TIMEOUT_MS: '10000' })).toEqual([]);
    expect(problems({ OUTBOX_LEASE_MS: '30000', TIKTOK_TIMEOUT_MS: '10000' })).toEqual([]);
    expect(problems({ OUTBOX_URL: URL_WITH_SECRET, OUTBOX_PG_POOL_MAX: '0' }).join('\n')).toMatch(/OUTBOX_PG_POOL_MAX: expected a whole number from 1 to 100/);
  });
});
