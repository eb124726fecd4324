/**
 * The container files: docker-compose.yml as Debian's docker-compose (1.29) reads
 * it, the proxy routes in scripts/docker/nginx.conf and the sidecar's Dockerfile.
 * No Docker engine runs in CI, so the images are not built here; the healthcheck
 * commands are executed with the local Node against a real HTTP server instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { freePort, SIDECAR_NODE_FLAGS } from '../helpers/process';
import { loadConfig } from '../../sidecar/src/config';
import { OPS_PATHS } from '../../sidecar/src/ops';
import { BROWSER_UA, relayEvent, SHOP, testSidecar } from '../helpers/sidecar';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | number | null>;
  volumes?: string[];
  ports?: Array<{ published: number | string; target: number }>;
  expose?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  command?: string[];
  profiles?: string[];
}
interface ComposeConfig {
  version: string;
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

/** Variables the compose file reads; cleared so the test sees the committed defaults. */
const COMPOSE_VARS = ['POSTGRES_PASSWORD', 'OUTBOX_DB_PASSWORD', 'ODOO_DB', 'ODOO_LOGIN', 'ODOO_API_KEY', 'ODOO_TRANSPORT', 'LOG_LEVEL', 'ODOO_WORKERS', 'OPS_TOKEN', 'SIDECAR_REPLICA_ID'];

/** The profile that runs several sidecars on a shared PostgreSQL outbox. */
const REPLICAS_PROFILE = 'replicas';

function composeBinaryAvailable(): boolean {
  const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
}

/** The Python that runs docker-compose (its shebang) certainly has PyYAML; another python3 may not. */
function composePython(): string {
  const located = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).stdout.trim();
  const shebang = located ? /^#!\s*(\S+)/.exec(readFileSync(located, 'utf8').slice(0, 200))?.[1] : undefined;
  return shebang && /python/.test(shebang) && existsSync(shebang) ? shebang : 'python3';
}

/** The one variable the compose file requires (it has no default on purpose). */
const REQUIRED = { POSTGRES_PASSWORD: 'a-long-random-db-password' };

function runComposeConfig(env: Record<string, string>, profile?: string) {
  const baseEnv = { ...process.env };
  for (const name of COMPOSE_VARS) delete baseEnv[name];
  const profileArgs = profile ? ['--profile', profile] : [];
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...profileArgs, 'config'], {
    cwd: ROOT,
    env: { ...baseEnv, ...env },
    encoding: 'utf8',
  });
}

/**
 * `docker-compose config` validates and interpolates the file; its YAML output is
 * turned into JSON by the PyYAML that docker-compose itself depends on.
 */
function composeConfig(env: Record<string, string> = {}, profile?: string): ComposeConfig {
  const result = runComposeConfig({ ...REQUIRED, ...env }, profile);
  if (result.status !== 0) throw new Error(`docker-compose config failed:\n${result.stderr}`);
  const toJson = spawnSync(composePython(), ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: result.stdout,
    encoding: 'utf8',
  });
  if (toJson.status !== 0) throw new Error(`could not read the compose output as YAML:\n${toJson.stderr}`);
  return JSON.parse(toJson.stdout) as ComposeConfig;
}

const hasCompose = composeBinaryAvailable();
if (!hasCompose) console.warn('docker-compose not found: skipping the docker-compose.yml checks (install Debian package docker-compose).');
const describeCompose = hasCompose ? describe : describe.skip;

describeCompose('docker-compose.yml (docker-compose config)', () => {
  let config: ComposeConfig;

  beforeAll(() => {
    config = composeConfig();
  });

  it('defines the database, Odoo, the sidecar and the proxy with named volumes (the default `up`: services of no profile)', () => {
    const byDefault = Object.entries(config.services).filter(([, service]) => !service.profiles?.length);
    expect(byDefault.map(([name]) => name).sort()).toEqual(['db', 'odoo', 'proxy', 'sidecar']);
    const volumesUsed = byDefault.flatMap(([, service]) => (service.volumes ?? []).map((v) => v.split(':')[0])).filter((v) => !v.startsWith('/'));
    expect([...new Set(volumesUsed)].sort()).toEqual(['db-data', 'odoo-data', 'outbox']);
    expect(Object.keys(config.volumes)).toEqual(expect.arrayContaining(['db-data', 'odoo-data', 'outbox']));
  });

  it('runs PostgreSQL 16 with the credentials Odoo uses', () => {
    const db = config.services.db;
    expect(db.image).toBe('postgres:16');
    expect(db.environment).toMatchObject({ POSTGRES_DB: 'postgres', POSTGRES_USER: 'odoo', POSTGRES_PASSWORD: REQUIRED.POSTGRES_PASSWORD });
    expect(db.volumes).toContain('db-data:/var/lib/postgresql/data:rw');
    expect(db.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
  });

  it('does not start without a database password: no weak default, and the error names the variable', () => {
    const refused = runComposeConfig({});
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/set POSTGRES_PASSWORD/);
    const blank = runComposeConfig({ POSTGRES_PASSWORD: '' });
    expect(blank.status).not.toBe(0);
    expect(blank.stderr).toMatch(/set POSTGRES_PASSWORD/);
  });

  it('runs Odoo with its database manager off', () => {
    // Create, drop, back up, restore and the master password refuse every caller (odoo/service/db.py).
    expect(config.services.odoo.command).toContain('--no-database-list');
  });

  it('runs the official odoo:19 image with its documented env, mounts and ports', () => {
    const odoo = config.services.odoo;
    expect(odoo.image).toBe('odoo:19');
    expect(odoo.environment).toEqual({ HOST: 'db', USER: 'odoo', PASSWORD: config.services.db.environment?.POSTGRES_PASSWORD });
    expect(odoo.volumes).toEqual(expect.arrayContaining([`${path.join(ROOT, 'addon')}:/mnt/extra-addons:ro`, 'odoo-data:/var/lib/odoo:rw']));
    expect(odoo.depends_on).toHaveProperty('db');
    // Odoo is reached only through the proxy; 8072 serves /websocket in multi-process mode.
    expect(odoo.ports).toBeUndefined();
    expect(odoo.expose).toEqual(expect.arrayContaining(['8069', '8072']));
    expect(odoo.command).toEqual(expect.arrayContaining(['--proxy-mode', '--workers=2']));
  });

  it('builds the sidecar from sidecar/Dockerfile with its configuration from the environment', () => {
    const sidecar = config.services.sidecar;
    expect(sidecar.build).toEqual({ context: ROOT, dockerfile: 'sidecar/Dockerfile' });
    expect(existsSync(path.join(ROOT, sidecar.build!.dockerfile))).toBe(true);
    expect(sidecar.environment).toMatchObject({
      ODOO_URL: 'http://odoo:8069',
      ODOO_TRANSPORT: 'auto',
      RELAY_PORT: '8787',
      TRUST_PROXY: '1',
      OUTBOX_PATH: '/data/outbox.sqlite',
      LOG_LEVEL: 'info',
    });
    expect(Object.keys(sidecar.environment ?? {})).toEqual(expect.arrayContaining(['ODOO_DB', 'ODOO_LOGIN', 'ODOO_API_KEY']));
    expect(sidecar.volumes).toContain('outbox:/data:rw');
    expect(sidecar.healthcheck?.test.join(' ')).toMatch(/\/healthz/);
    expect(sidecar.ports).toBeUndefined();
  });

  it('takes secrets and names from the environment', () => {
    const opsToken = 'o'.repeat(40);
    const config2 = composeConfig({ POSTGRES_PASSWORD: 's3cret', ODOO_DB: 'shop', ODOO_API_KEY: 'key-1', LOG_LEVEL: 'debug', OPS_TOKEN: opsToken });
    expect(config2.services.db.environment?.POSTGRES_PASSWORD).toBe('s3cret');
    expect(config2.services.odoo.environment?.PASSWORD).toBe('s3cret');
    expect(config2.services.sidecar.environment).toMatchObject({ ODOO_DB: 'shop', ODOO_API_KEY: 'key-1', LOG_LEVEL: 'debug', OPS_TOKEN: opsToken });
    // Nothing secret is committed: the API key and the operations token have no default value.
    expect(config.services.sidecar.environment?.ODOO_API_KEY).toBe('');
    expect(config.services.sidecar.environment?.OPS_TOKEN).toBe('');
  });

  it('publishes only the proxy, with nginx.conf mounted as its default site and the one sidecar as its relay upstream', () => {
    const proxy = config.services.proxy;
    expect(proxy.image).toBe('nginx:1.27-alpine');
    expect(proxy.ports).toEqual([{ published: 8080, target: 80 }]);
    expect(proxy.volumes).toEqual([
      `${path.join(ROOT, 'scripts/docker/nginx.conf')}:/etc/nginx/conf.d/default.conf:ro`,
      `${path.join(ROOT, 'scripts/docker/sidecar-upstream.conf')}:/etc/nginx/conf.d/sidecar-upstream.conf:ro`,
    ]);
    expect(Object.keys(proxy.depends_on ?? {}).sort()).toEqual(['odoo', 'sidecar']);
    const published = Object.entries(config.services).filter(([, service]) => service.ports?.length);
    expect(published.map(([name]) => name).sort()).toEqual(['proxy', 'proxy-replicas']);
  });
});

describeCompose(`docker-compose.yml, profile "${REPLICAS_PROFILE}" (docker-compose --profile ${REPLICAS_PROFILE} config)`, () => {
  const OUTBOX_DB_PASSWORD = 'b'.repeat(64);
  const REPLICAS = ['sidecar-a', 'sidecar-b', 'sidecar-c'];
  let config: ComposeConfig;

  beforeAll(() => {
    config = composeConfig({ OUTBOX_DB_PASSWORD }, REPLICAS_PROFILE);
  });

  it('adds the outbox database, three sidecars and their proxy, all in the profile', () => {
    const inProfile = Object.entries(config.services).filter(([, service]) => service.profiles?.includes(REPLICAS_PROFILE));
    expect(inProfile.map(([name]) => name).sort()).toEqual(['outbox-db', 'proxy-replicas', ...REPLICAS]);
  });

  it('runs the outbox on its own PostgreSQL with its own role and password, never the shop database', () => {
    const outboxDb = config.services['outbox-db'];
    expect(outboxDb.image).toBe(config.services.db.image);
    expect(outboxDb.environment).toEqual({ POSTGRES_DB: 'outbox', POSTGRES_USER: 'outbox', POSTGRES_PASSWORD: OUTBOX_DB_PASSWORD });
    expect(outboxDb.environment?.POSTGRES_PASSWORD).not.toBe(REQUIRED.POSTGRES_PASSWORD);
    expect(outboxDb.volumes).toEqual(['outbox-db-data:/var/lib/postgresql/data:rw']);
    expect(outboxDb.healthcheck?.test.join(' ')).toMatch(/pg_isready -U outbox -d outbox/);
    expect(outboxDb.ports).toBeUndefined();
  });

  it('gives the outbox database no password of its own making', () => {
    const unset = composeConfig({}, REPLICAS_PROFILE);
    // Blank: the postgres image refuses to initialize, so the profile does not start.
    expect(unset.services['outbox-db'].environment?.POSTGRES_PASSWORD).toBe('');
    expect(unset.services['sidecar-a'].environment?.OUTBOX_URL).toBe('postgres://outbox:@outbox-db:5432/outbox');
  });

  it('runs each replica as the single sidecar does, but on the shared outbox, with a stable name of its own and no outbox volume', () => {
    const single = config.services.sidecar;
    const { OUTBOX_PATH: _path, SIDECAR_REPLICA_ID: _name, ...shared } = single.environment ?? {};
    const names = new Set<unknown>();
    for (const name of REPLICAS) {
      const replica = config.services[name];
      expect([name, replica.build]).toEqual([name, single.build]);
      expect([name, replica.environment]).toEqual([
        name,
        {
          ...shared,
          // Empty: the image's OUTBOX_PATH is unset, the two engines exclude each other.
          OUTBOX_PATH: '',
          OUTBOX_URL: `postgres://outbox:${OUTBOX_DB_PASSWORD}@outbox-db:5432/outbox`,
          SIDECAR_REPLICA_ID: name,
        },
      ]);
      names.add(replica.environment?.SIDECAR_REPLICA_ID);
      expect([name, replica.volumes ?? []]).toEqual([name, []]);
      expect([name, replica.depends_on]).toEqual([name, { odoo: { condition: 'service_started' }, 'outbox-db': { condition: 'service_healthy' } }]);
      expect([name, replica.healthcheck]).toEqual([name, single.healthcheck]);
      expect([name, replica.ports]).toEqual([name, undefined]);
    }
    expect(names.size).toBe(REPLICAS.length);
  });

  it('gives every replica settings the sidecar accepts', () => {
    for (const name of ['sidecar', ...REPLICAS]) {
      const env = Object.fromEntries(Object.entries(config.services[name].environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
      expect(() => loadConfig({ ...env, ODOO_API_KEY: 'an-odoo-api-key' })).not.toThrow();
    }
  });

  it('puts the three replicas behind a proxy of the same site, on the same port', () => {
    const proxy = config.services['proxy-replicas'];
    expect(proxy.image).toBe(config.services.proxy.image);
    expect(proxy.ports).toEqual(config.services.proxy.ports);
    expect(proxy.volumes).toEqual([
      `${path.join(ROOT, 'scripts/docker/nginx.conf')}:/etc/nginx/conf.d/default.conf:ro`,
      `${path.join(ROOT, 'scripts/docker/sidecar-upstream-replicas.conf')}:/etc/nginx/conf.d/sidecar-upstream.conf:ro`,
    ]);
    expect(Object.keys(proxy.depends_on ?? {}).sort()).toEqual(['odoo', ...REPLICAS]);
    const upstream = nginxBlocks(read('scripts/docker/sidecar-upstream-replicas.conf'), 'upstream').get('tiktok_sidecar') ?? '';
    expect(upstreamServers(upstream)).toEqual(REPLICAS.map((name) => `${name}:8787`));
  });

  it('leaves the default stack as it is: the same services, the one sidecar on its SQLite file', () => {
    const byDefault = composeConfig();
    for (const name of ['db', 'odoo', 'sidecar', 'proxy']) expect([name, config.services[name]]).toEqual([name, byDefault.services[name]]);
    expect(byDefault.services.sidecar.environment?.OUTBOX_URL).toBeUndefined();
  });
});

describe('raw docker-compose.yml', () => {
  it('uses a file format docker-compose 1.29 accepts (a version, no top-level name)', () => {
    const raw = read('docker-compose.yml');
    expect(raw).toMatch(/^version: "3\.\d+"$/m);
    expect(raw).not.toMatch(/^name:/m);
  });
});

/** `upstream`/`location` blocks of an nginx site; their bodies hold no nested braces. */
function nginxBlocks(conf: string, kind: 'upstream' | 'location'): Map<string, string> {
  const blocks = new Map<string, string>();
  const pattern = new RegExp(`^\\s*${kind}\\s+([^{]+?)\\s*\\{([^}]*)\\}`, 'gm');
  for (const match of conf.replace(/#.*$/gm, '').matchAll(pattern)) blocks.set(match[1], match[2]);
  return blocks;
}

function upstreamServers(upstreamBody: string): string[] {
  return [...upstreamBody.matchAll(/server\s+([\w.-]+:\d+)/g)].map((m) => m[1]);
}

function proxyTarget(locationBody: string, upstreams: Map<string, string>): string | undefined {
  const upstream = /proxy_pass\s+http:\/\/([\w.-]+);/.exec(locationBody)?.[1];
  return upstream ? upstreamServers(upstreams.get(upstream) ?? '')[0] : undefined;
}

/** The proxy's site as nginx loads it: nginx.conf and the sidecar's upstream beside it (both in conf.d). */
const SITE_FILES = ['scripts/docker/nginx.conf', 'scripts/docker/sidecar-upstream.conf'];

describe('scripts/docker/nginx.conf', () => {
  const conf = SITE_FILES.map(read).join('\n');
  const upstreams = nginxBlocks(conf, 'upstream');
  const locations = nginxBlocks(conf, 'location');

  it('sends the relay to the sidecar, the websocket to the gevent port and the rest to Odoo', () => {
    expect(proxyTarget(locations.get('= /tiktok/relay') ?? '', upstreams)).toBe('sidecar:8787');
    expect(proxyTarget(locations.get('/websocket') ?? '', upstreams)).toBe('odoo:8072');
    expect(proxyTarget(locations.get('/') ?? '', upstreams)).toBe('odoo:8069');
    expect(conf).toMatch(/^\s*listen 80;/m);
  });

  it('answers the database manager itself, never passing it on', () => {
    for (const name of ['^~ /web/database/', '~ ^/xmlrpc/(2/)?db$']) {
      const body = locations.get(name) ?? '';
      expect([name, body]).toEqual([name, expect.stringMatching(/return 404;/)]);
      expect(body).not.toMatch(/proxy_pass/);
    }
  });

  it('forwards the client address, scheme and host in every location that proxies', () => {
    // A location that sets any proxy header inherits none from the server block.
    const proxying = [...locations].filter(([, body]) => /proxy_pass/.test(body));
    expect(proxying.map(([name]) => name).sort()).toEqual(['/', '/websocket', '= /tiktok/relay']);
    for (const [name, body] of proxying) {
      expect([name, body]).toEqual([name, expect.stringMatching(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/)]);
      expect([name, body]).toEqual([name, expect.stringMatching(/proxy_set_header X-Forwarded-Proto \$scheme;/)]);
      expect([name, body]).toEqual([name, expect.stringMatching(/proxy_set_header X-Forwarded-Host \$http_host;/)]);
      expect([name, body]).toEqual([name, expect.stringMatching(/proxy_set_header Host \$host;/)]);
    }
  });

  it('upgrades websocket connections', () => {
    const websocket = locations.get('/websocket') ?? '';
    expect(websocket).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(websocket).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(conf).toMatch(/map \$http_upgrade \$connection_upgrade/);
  });
});

/** nginx, when installed (Debian package nginx): the site of nginx.conf runs for real in front of a fake Odoo. */
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((candidate) => existsSync(candidate));
const describeNginx = NGINX ? describe : describe.skip;
if (!NGINX) console.warn('nginx not found: skipping the run of scripts/docker/nginx.conf (install Debian package nginx).');

/** Runs a site with nginx in the foreground on a free port; the site's `listen 80;` is moved there. */
async function runNginx(site: string): Promise<{ port: number; stop: () => void }> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'tt-nginx-'));
  writeFileSync(path.join(dir, 'site.conf'), site.replace(/listen 80;/, `listen 127.0.0.1:${port};`));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'master_process off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events {}',
      'http {',
      `  access_log off;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`),
      `  include ${dir}/site.conf;`,
      '}',
    ].join('\n'),
  );
  const nginx = spawn(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const stop = () => {
    nginx.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
    if (up) return { port, stop };
    if (Date.now() > deadline) {
      const log = readFileSync(path.join(dir, 'error.log'), 'utf8');
      stop();
      throw new Error(`nginx did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A local HTTP server that notes each request's path and answers `body`. */
async function fakeUpstream(body: string, status = 200): Promise<{ server: http.Server; port: number; saw: string[] }> {
  const saw: string[] = [];
  const server = http.createServer((req, res) => {
    saw.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      res.statusCode = status;
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, saw };
}

const closeServer = (server: http.Server | undefined) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

describeNginx('scripts/docker/nginx.conf, run by nginx', () => {
  let odoo: Awaited<ReturnType<typeof fakeUpstream>>;
  let proxy: Awaited<ReturnType<typeof runNginx>>;

  beforeAll(async () => {
    odoo = await fakeUpstream('odoo');
    // The committed site, its upstreams pointed at the fake Odoo.
    const site = SITE_FILES.map(read)
      .join('\n')
      .replace(/server odoo:8069;/, `server 127.0.0.1:${odoo.port};`)
      .replace(/server odoo:8072;/, `server 127.0.0.1:${odoo.port};`)
      .replace(/server sidecar:8787;/, `server 127.0.0.1:${odoo.port};`);
    proxy = await runNginx(site);
  });

  afterAll(async () => {
    proxy?.stop();
    await closeServer(odoo?.server);
  });

  it('answers the database manager itself and passes the shop to Odoo', async () => {
    odoo.saw.length = 0;
    for (const url of ['/web/database/manager', '/web/database/selector', '/web/database/create', '/web/database/change_password', '/xmlrpc/db', '/xmlrpc/2/db']) {
      const refused = await fetch(`http://127.0.0.1:${proxy.port}${url}`, { method: url.includes('manager') ? 'GET' : 'POST' });
      expect([url, refused.status]).toEqual([url, 404]);
    }
    expect(odoo.saw).toEqual([]);
    const shop = await fetch(`http://127.0.0.1:${proxy.port}/shop`);
    expect(await shop.text()).toBe('odoo');
    const object = await fetch(`http://127.0.0.1:${proxy.port}/xmlrpc/2/object`, { method: 'POST' });
    expect(object.status).toBe(200);
    expect(odoo.saw).toEqual(['/shop', '/xmlrpc/2/object']);
  });
});

describeNginx('the "replicas" proxy (nginx.conf with sidecar-upstream-replicas.conf), run by nginx', () => {
  const NAMES = ['sidecar-a', 'sidecar-b', 'sidecar-c'];
  let odoo: Awaited<ReturnType<typeof fakeUpstream>>;
  let replicas: Array<Awaited<ReturnType<typeof fakeUpstream>>>;
  let proxy: Awaited<ReturnType<typeof runNginx>>;

  beforeAll(async () => {
    odoo = await fakeUpstream('odoo');
    replicas = await Promise.all(NAMES.map((name) => fakeUpstream(name, 202)));
    let site = ['scripts/docker/nginx.conf', 'scripts/docker/sidecar-upstream-replicas.conf']
      .map(read)
      .join('\n')
      .replace(/server odoo:80(69|72);/g, `server 127.0.0.1:${odoo.port};`);
    NAMES.forEach((name, i) => (site = site.replace(`server ${name}:8787;`, `server 127.0.0.1:${replicas[i].port};`)));
    proxy = await runNginx(site);
  });

  afterAll(async () => {
    proxy?.stop();
    await Promise.all([odoo, ...(replicas ?? [])].map((fake) => closeServer(fake?.server)));
  });

  const relayOnce = async () => {
    const res = await fetch(`http://127.0.0.1:${proxy.port}/tiktok/relay`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    return { status: res.status, by: await res.text() };
  };

  it('spreads relay requests over the three replicas, and skips one that is down', async () => {
    const spread: string[] = [];
    for (let i = 0; i < 6; i += 1) spread.push((await relayOnce()).by);
    expect(spread.sort()).toEqual([...NAMES, ...NAMES].sort());
    expect(odoo.saw.filter((url) => url.startsWith('/tiktok'))).toEqual([]);
    // sidecar-b stops (a restart, a crash): its connections are refused, and nginx sends the POST on.
    await closeServer(replicas[1].server);
    const answers: Array<{ status: number; by: string }> = [];
    for (let i = 0; i < 6; i += 1) answers.push(await relayOnce());
    expect(answers.every((a) => a.status === 202)).toBe(true);
    expect(new Set(answers.map((a) => a.by))).toEqual(new Set(['sidecar-a', 'sidecar-c']));
  });

  it('passes only the relay to the replicas: their probes and metrics are not reachable through the proxy', async () => {
    for (const opsPath of OPS_PATHS) await fetch(`http://127.0.0.1:${proxy.port}${opsPath}`);
    const reached = replicas.flatMap((replica) => replica.saw.filter((url) => !url.startsWith('/tiktok/relay')));
    expect(reached).toEqual([]);
    expect(odoo.saw).toEqual(expect.arrayContaining([...OPS_PATHS]));
  });
});

/** The instructions of each stage of a multi-stage Dockerfile, continuation lines joined, comments dropped. */
function dockerStages(dockerfile: string): string[][] {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const line of instructions) {
    if (/^FROM\s/i.test(line)) stages.push([]);
    stages[stages.length - 1]?.push(line);
  }
  return stages;
}

function execForm(instruction: string): string[] {
  return JSON.parse(instruction.slice(instruction.indexOf('[')));
}

/** Runs a healthcheck command with the local Node against whatever listens on `port`; resolves with its exit code. */
async function runHealthcheckOn(argv: string[], port: number, rewritePort = false): Promise<number> {
  const args = argv.slice(1).map((a) => (rewritePort ? a.replace(':8787/', `:${port}/`) : a));
  const child = await new Promise<number | null>((resolve) => {
    const p = spawn(process.execPath, args, { env: { ...process.env, RELAY_PORT: String(port) }, stdio: 'ignore' });
    p.on('exit', (code) => resolve(code));
  });
  return child ?? -1;
}

/** Runs a healthcheck command with the local Node against a server answering `status` on /healthz. */
async function runHealthcheck(argv: string[], status: number, rewritePort = false): Promise<number> {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === '/healthz' ? status : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await runHealthcheckOn(argv, port, rewritePort);
  } finally {
    server.close();
  }
}

describe('sidecar/Dockerfile', () => {
  const stages = dockerStages(read('sidecar/Dockerfile'));
  const build = stages[0];
  const runtime = stages[stages.length - 1];
  const find = (stage: string[], keyword: string): string[] => stage.filter((l) => l.toUpperCase().startsWith(`${keyword} `));

  it('builds in a node:20-bookworm-slim stage with the native toolchain, then drops dev dependencies', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build[0]).toMatch(/^FROM node:20-bookworm-slim AS build$/i);
    const run = find(build, 'RUN').join(' ');
    expect(run).toMatch(/apt-get install[^&]*python3[^&]*make[^&]*g\+\+/);
    expect(run).toMatch(/npm ci/);
    expect(run).toMatch(/npx tsc -p tsconfig\.build\.json/);
    expect(run.indexOf('npm prune --omit=dev')).toBeGreaterThan(run.indexOf('npx tsc'));
  });

  it('runs as the unprivileged node user from /app with the outbox on a /data volume', () => {
    expect(runtime[0]).toMatch(/^FROM node:20-bookworm-slim/i);
    const users = find(runtime, 'USER');
    expect(users[users.length - 1]).toBe('USER node');
    expect(find(runtime, 'WORKDIR')).toEqual(['WORKDIR /app']);
    expect(find(runtime, 'VOLUME').join(' ')).toMatch(/\/data/);
    expect(find(runtime, 'ENV').join(' ')).toMatch(/OUTBOX_PATH=\/data\/outbox\.sqlite/);
    expect(find(runtime, 'EXPOSE')).toEqual(['EXPOSE 8787']);
    // The volume directory must belong to node or the outbox cannot be created.
    expect(find(runtime, 'RUN').join(' ')).toMatch(/chown node:node \/data/);
  });

  it('starts the compiled CLI that tsconfig.json emits', () => {
    const tsconfig = JSON.parse(read('tsconfig.json')).compilerOptions;
    const cmd = execForm(find(runtime, 'CMD')[0]);
    // The same V8 limits the benchmarks measured the sidecar with.
    expect(cmd).toEqual(['node', ...SIDECAR_NODE_FLAGS, `${tsconfig.outDir}/sidecar/src/cli.js`, 'serve']);
    expect(tsconfig.rootDir).toBe('.');
    expect(existsSync(path.join(ROOT, 'sidecar/src/cli.ts'))).toBe(true);
  });

  it('copies only sources the .dockerignore lets into the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const sources = find(build, 'COPY')
      .filter((l) => !/--from=/.test(l))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'sidecar']));
    for (const source of sources) {
      expect([source, existsSync(path.join(ROOT, source))]).toEqual([source, true]);
      expect(ignored).not.toContain(source);
    }
    expect(ignored).toEqual(expect.arrayContaining(['.git', '**/node_modules', 'dist', '.env']));
  });

  it('has a HEALTHCHECK that passes on a 200 from /healthz and fails otherwise, without curl', async () => {
    const healthcheck = find(runtime, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    const argv = execForm(healthcheck[0].slice(healthcheck[0].indexOf('CMD')));
    expect(argv[0]).toBe('node');
    expect(await runHealthcheck(argv, 200)).toBe(0);
    expect(await runHealthcheck(argv, 503)).toBe(1);
  });

  it('has a HEALTHCHECK that fails while the sidecar\'s outbox takes no writes, and passes once one succeeds', async () => {
    const healthcheck = find(runtime, 'HEALTHCHECK');
    const argv = execForm(healthcheck[0].slice(healthcheck[0].indexOf('CMD')));
    const sidecar = testSidecar();
    const sqlite = (sidecar.outbox as unknown as { db: { pragma(sql: string): unknown } }).db;
    const port = await sidecar.start();
    try {
      // The outbox file turns read-only (a remount, a failing disk): the probe write of an idle sidecar fails.
      sqlite.pragma('query_only = 1');
      expect(await runHealthcheckOn(argv, port)).toBe(1);
      sqlite.pragma('query_only = 0');
      const relayed = await fetch(`http://127.0.0.1:${port}/tiktok/relay`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: SHOP, 'User-Agent': BROWSER_UA },
        body: JSON.stringify(relayEvent()),
      });
      expect(relayed.status).toBe(202);
      expect(await runHealthcheckOn(argv, port)).toBe(0);
    } finally {
      await sidecar.stop();
    }
  });
});

describeCompose('the compose healthcheck of the sidecar', () => {
  it('passes on a 200 from /healthz and fails otherwise', async () => {
    const test = composeConfig().services.sidecar.healthcheck!.test;
    expect(test[0]).toBe('CMD');
    const argv = test.slice(1);
    expect(await runHealthcheck(argv, 200, true)).toBe(0);
    expect(await runHealthcheck(argv, 500, true)).toBe(1);
  });
});
