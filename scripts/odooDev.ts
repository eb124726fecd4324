/**
 * A real Odoo 19 for development and tests, run from source (no Docker).
 *
 *   npx ts-node --transpile-only scripts/odooDev.ts template        # tiktok_tpl = base shop + our module and its bridges
 *   npx ts-node --transpile-only scripts/odooDev.ts clone <db>      # fresh copy of the template
 *   npx ts-node --transpile-only scripts/odooDev.ts start <db> <port>
 *   npx ts-node --transpile-only scripts/odooDev.ts stop [port]     # every server this script started, or one
 *   npx ts-node --transpile-only scripts/odooDev.ts test [db]       # Odoo's Python tests of the module and its bridges
 *
 * The same functions are exported for the end-to-end suite. Environment:
 * ODOO_SRC (default ~/.cache/odoo-src/19.0), ODOO_BASE_DB (shop_base_<hash of SHOP_MODULES>),
 * ODOO_TEMPLATE_DB (tiktok_tpl), ODOO_BASE_LOG (/tmp/odoo-base.log),
 * ODOO_DB_HOST / ODOO_DB_USER / ODOO_DB_PASSWORD (localhost / odoo / odoo),
 * ODOO_TEST_HTTP_PORT (8169: the port of the module's HTTP tests).
 * Without the Odoo source every command prints one line and exits 0.
 */
import { spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';

export const MODULE_NAME = 'website_tiktok_events';
export const REPO_ROOT = path.resolve(__dirname, '..');
export const ADDON_ROOT = path.join(REPO_ROOT, 'addon');
export const MODULE_DIR = path.join(ADDON_ROOT, MODULE_NAME);
/**
 * Bridges of our module to other Odoo apps (auto_install): installed in the
 * template and tested with the module. Their apps must be in SHOP_MODULES.
 */
export const BRIDGE_MODULES = ['website_tiktok_events_crm', 'website_tiktok_events_pos'];
/** Our module and its bridges: what the template installs and the test run covers. */
export const OUR_MODULES = [MODULE_NAME, ...BRIDGE_MODULES];

const PYTHON = '/usr/bin/python3';
const TEMPLATE_HASH_PARAM = `${MODULE_NAME}.dev_template_hash`;
// Static assets are read from disk at request time and tests do not change the
// module's data: neither needs a reinstall, so neither invalidates the template.
const HASH_EXCLUDED_DIRS = new Set(['__pycache__', 'static', 'tests']);

export interface OdooDevConfig {
  odooSrc: string;
  baseDb: string;
  templateDb: string;
  dbHost: string;
  dbUser: string;
  dbPassword: string;
  stateDir: string;
  filestoreRoot: string;
  /** The folder holding our module: this checkout's `addon/`, or an older release's (upgrade tests). */
  addonRoot: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OdooDevConfig {
  const home = os.homedir();
  return {
    odooSrc: env.ODOO_SRC || path.join(home, '.cache', 'odoo-src', '19.0'),
    baseDb: env.ODOO_BASE_DB || baseDatabaseName(),
    templateDb: env.ODOO_TEMPLATE_DB || 'tiktok_tpl',
    dbHost: env.ODOO_DB_HOST || 'localhost',
    dbUser: env.ODOO_DB_USER || 'odoo',
    dbPassword: env.ODOO_DB_PASSWORD || 'odoo',
    stateDir: path.join(home, '.cache', 'odoo-tiktok-dev'),
    filestoreRoot: path.join(home, '.local', 'share', 'Odoo', 'filestore'),
    addonRoot: ADDON_ROOT,
  };
}

/** Why Odoo cannot run here, or undefined when it can. */
export function odooUnavailableReason(config: OdooDevConfig = loadConfig()): string | undefined {
  if (!fs.existsSync(path.join(config.odooSrc, 'odoo-bin'))) {
    return `no Odoo 19 source at ${config.odooSrc} (set ODOO_SRC)`;
  }
  if (!fs.existsSync(PYTHON)) return `no ${PYTHON}`;
  const ready = spawnSync('pg_isready', ['-q', '-h', config.dbHost], { stdio: 'ignore' });
  if (ready.error || ready.status !== 0) return `PostgreSQL is not reachable on ${config.dbHost}`;
  return undefined;
}

export function odooAvailable(config: OdooDevConfig = loadConfig()): boolean {
  return odooUnavailableReason(config) === undefined;
}

/** The command line options every Odoo process of this harness shares. */
export function odooBaseArgs(config: OdooDevConfig): string[] {
  const addonsPath = [
    path.join(config.odooSrc, 'addons'),
    path.join(config.odooSrc, 'odoo', 'addons'),
    config.addonRoot,
  ].join(',');
  return [
    path.join(config.odooSrc, 'odoo-bin'),
    `--addons-path=${addonsPath}`,
    `--db_host=${config.dbHost}`,
    `--db_user=${config.dbUser}`,
    `--db_password=${config.dbPassword}`,
    '--http-interface=127.0.0.1',
  ];
}

// ---------------------------------------------------------------------------
// Module fingerprint
// ---------------------------------------------------------------------------

function listModuleFiles(dir: string, relative = ''): string[] {
  const entries = fs.readdirSync(path.join(dir, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const rel = path.join(relative, entry.name);
    if (entry.isDirectory()) {
      if (!HASH_EXCLUDED_DIRS.has(entry.name)) files.push(...listModuleFiles(dir, rel));
    } else if (entry.isFile() && !entry.name.endsWith('.pyc')) {
      files.push(rel);
    }
  }
  return files;
}

/** Fingerprint of what an install of the module depends on (code, views, data). */
export function moduleHash(moduleDir: string = MODULE_DIR, bridges: readonly string[] = BRIDGE_MODULES): string {
  const hash = createHash('sha256');
  for (const rel of listModuleFiles(moduleDir).sort()) {
    hash.update(rel.split(path.sep).join('/'));
    hash.update('\0');
    hash.update(fs.readFileSync(path.join(moduleDir, rel)));
    hash.update('\0');
  }
  // A bridge changes what the template holds too (no bridge: the module's hash as before).
  for (const bridge of bridges) {
    const bridgeDir = path.join(ADDON_ROOT, bridge);
    hash.update(`\0${bridge}\0`);
    for (const rel of listModuleFiles(bridgeDir).sort()) {
      hash.update(rel.split(path.sep).join('/'));
      hash.update('\0');
      hash.update(fs.readFileSync(path.join(bridgeDir, rel)));
      hash.update('\0');
    }
  }
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------
// PostgreSQL and filestore
// ---------------------------------------------------------------------------

function pgEnv(config: OdooDevConfig): NodeJS.ProcessEnv {
  return { ...process.env, PGPASSWORD: config.dbPassword };
}

function pgArgs(config: OdooDevConfig): string[] {
  return ['-h', config.dbHost, '-U', config.dbUser];
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
}

function runOrThrow(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const result = run(cmd, args, env);
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

export function psql(config: OdooDevConfig, db: string, sql: string): string {
  return runOrThrow('psql', [...pgArgs(config), '-d', db, '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql], pgEnv(config)).trim();
}

export function databaseExists(db: string, config: OdooDevConfig = loadConfig()): boolean {
  const name = db.replace(/'/g, "''");
  return psql(config, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${name}'`) === '1';
}

export function dropDatabase(db: string, config: OdooDevConfig = loadConfig()): void {
  runOrThrow('dropdb', [...pgArgs(config), '--if-exists', '--force', db], pgEnv(config));
  fs.rmSync(path.join(config.filestoreRoot, db), { recursive: true, force: true });
}

/** createdb -T plus the filestore: without it every asset of the copy answers 500. */
export function copyDatabase(source: string, target: string, config: OdooDevConfig): void {
  dropDatabase(target, config);
  runOrThrow('createdb', [...pgArgs(config), '-T', source, target], pgEnv(config));
  const sourceStore = path.join(config.filestoreRoot, source);
  if (fs.existsSync(sourceStore)) {
    fs.cpSync(sourceStore, path.join(config.filestoreRoot, target), { recursive: true });
  }
}

function renameDatabase(source: string, target: string, config: OdooDevConfig): void {
  psql(config, 'postgres', `ALTER DATABASE "${source}" RENAME TO "${target}"`);
  const sourceStore = path.join(config.filestoreRoot, source);
  if (fs.existsSync(sourceStore)) fs.renameSync(sourceStore, path.join(config.filestoreRoot, target));
}

function templateHash(config: OdooDevConfig): string | undefined {
  if (!databaseExists(config.templateDb, config)) return undefined;
  const value = psql(config, config.templateDb,
    `SELECT value FROM ir_config_parameter WHERE key = '${TEMPLATE_HASH_PARAM}'`);
  return value || undefined;
}

// ---------------------------------------------------------------------------
// Locking (template builds and clones must not overlap: createdb -T needs a
// template nobody else is connected to)
// ---------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function lockAgeMs(lockDir: string): number {
  try {
    return Date.now() - fs.statSync(lockDir).mtimeMs;
  } catch {
    return 0;
  }
}

function withTemplateLock<T>(config: OdooDevConfig, work: () => Promise<T>): Promise<T> {
  return withLock(config, `${config.templateDb}.lock`, work);
}

async function withLock<T>(config: OdooDevConfig, name: string, work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(config.stateDir, { recursive: true });
  const lockDir = path.join(config.stateDir, name);
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8')) || 0;
      } catch {
        // Lock just created (pid not written yet) or just released: look again.
      }
      const abandoned = owner ? !processAlive(owner) : lockAgeMs(lockDir) > 60_000;
      if (abandoned) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
      await sleep(1000);
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/** The shop apps the end-to-end flows need, installed once with demo data into the base database. */
export const SHOP_MODULES = [
  'website_sale',
  'website_event',
  'website_sale_wishlist',
  'website_mass_mailing',
  'website_crm',
  'website_hr_recruitment',
  'payment_demo',
  'point_of_sale',
];

/**
 * The default base database's name: named after its apps, so a machine holding
 * a base built for another list builds a new one instead of using it.
 */
export function baseDatabaseName(modules: readonly string[] = SHOP_MODULES): string {
  const digest = createHash('sha256').update([...modules].sort().join(',')).digest('hex');
  return `shop_base_${digest.slice(0, 8)}`;
}

/**
 * Make sure the base shop database exists (Odoo + shop apps + demo data, without
 * our module). Built once per machine per app list (about 2.5 minutes), under a lock, into a
 * scratch database renamed at the end so a crash never leaves half a base behind.
 */
export async function ensureBaseDatabase(config: OdooDevConfig = loadConfig(), log = console.log): Promise<void> {
  if (databaseExists(config.baseDb, config)) return;
  await withLock(config, `${config.baseDb}.lock`, async () => {
    if (databaseExists(config.baseDb, config)) return;
    const buildDb = `${config.baseDb}_build`;
    dropDatabase(buildDb, config);
    log(`odooDev: building ${config.baseDb} (${SHOP_MODULES.join(', ')}, demo data); this takes a few minutes once`);
    const logFile = path.join(os.tmpdir(), `odooDev-${config.baseDb}-install.log`);
    const exit = runOdoo(config, ['-d', buildDb, '--with-demo', '-i', SHOP_MODULES.join(','), '--stop-after-init', '--no-http'], logFile);
    if (exit !== 0) {
      dropDatabase(buildDb, config);
      throw new Error(`building ${config.baseDb} failed (exit ${exit}), see ${logFile}`);
    }
    renameDatabase(buildDb, config.baseDb, config);
  });
}

export interface TemplateResult {
  db: string;
  hash: string;
  rebuilt: boolean;
}

/**
 * Make sure the template database exists with the current module installed:
 * a copy of the base shop database plus our module, rebuilt whenever the
 * module's code, views or data change.
 */
export async function ensureTemplate(config: OdooDevConfig = loadConfig(), log = console.log): Promise<TemplateResult> {
  const hash = moduleHash();
  await ensureBaseDatabase(config, log);
  return withTemplateLock(config, async () => {
    if (templateHash(config) === hash) return { db: config.templateDb, hash, rebuilt: false };
    const buildDb = `${config.templateDb}_build`;
    log(`odooDev: building ${config.templateDb} from ${config.baseDb} with ${OUR_MODULES.join(', ')} (${hash.slice(0, 12)})`);
    copyDatabase(config.baseDb, buildDb, config);
    const logFile = path.join(os.tmpdir(), `odooDev-${config.templateDb}-install.log`);
    const install = runOdoo(config, ['-d', buildDb, '-i', OUR_MODULES.join(','), '--stop-after-init', '--no-http'], logFile);
    if (install !== 0) {
      dropDatabase(buildDb, config);
      throw new Error(`installing ${MODULE_NAME} failed (exit ${install}), see ${logFile}`);
    }
    const problems = moduleLogProblems(fs.readFileSync(logFile, 'utf8'));
    if (problems.length > 0) {
      dropDatabase(buildDb, config);
      throw new Error(`installing ${MODULE_NAME} logged problems:\n${problems.join('\n')}`);
    }
    psql(config, buildDb,
      `INSERT INTO ir_config_parameter (key, value, create_date, write_date) ` +
      `VALUES ('${TEMPLATE_HASH_PARAM}', '${hash}', now(), now()) ` +
      `ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`);
    dropDatabase(config.templateDb, config);
    renameDatabase(buildDb, config.templateDb, config);
    return { db: config.templateDb, hash, rebuilt: true };
  });
}

/** WARNING/ERROR/CRITICAL lines of an Odoo log that concern our module. */
export function moduleLogProblems(logText: string): string[] {
  return logText
    .split('\n')
    .filter((line) => /\b(WARNING|ERROR|CRITICAL)\b/.test(line) && line.includes(MODULE_NAME));
}

/** A fresh database copied from the template (rebuilding the template first if stale). */
export async function cloneDatabase(db: string, config: OdooDevConfig = loadConfig()): Promise<string> {
  if (db === config.templateDb || db === config.baseDb) throw new Error(`refusing to overwrite ${db}`);
  await ensureTemplate(config);
  await withTemplateLock(config, async () => copyDatabase(config.templateDb, db, config));
  return db;
}

export function runOdoo(config: OdooDevConfig, args: string[], logFile: string): number {
  const out = fs.openSync(logFile, 'w');
  try {
    const result = spawnSync(PYTHON, [...odooBaseArgs(config), ...args], {
      stdio: ['ignore', out, out],
      env: process.env,
    });
    return result.status ?? 1;
  } finally {
    fs.closeSync(out);
  }
}

function pidFile(config: OdooDevConfig, port: number): string {
  return path.join(config.stateDir, `server-${port}.pid`);
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
  });
}

export interface RunningOdoo {
  db: string;
  port: number;
  pid: number;
  url: string;
  logFile: string;
}

/** Serve one database on 127.0.0.1:<port>; resolves once /web/health answers. */
export async function startOdoo(
  db: string,
  port: number,
  config: OdooDevConfig = loadConfig(),
  extraArgs: string[] = [],
): Promise<RunningOdoo> {
  fs.mkdirSync(config.stateDir, { recursive: true });
  await stopOdoo(port, config);
  const logFile = path.join(os.tmpdir(), `odooDev-${db}-${port}.log`);
  const out = fs.openSync(logFile, 'w');
  const child = spawn(
    PYTHON,
    [
      ...odooBaseArgs(config),
      '-d', db,
      `--db-filter=^${db}$`,
      `--http-port=${port}`,
      // Crons would compete for the two cores; payment post-processing, the
      // one flow tests need, also runs from the status page poll.
      '--max-cron-threads=0',
      ...extraArgs,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  child.unref();
  if (!child.pid) throw new Error('could not start Odoo');
  fs.writeFileSync(pidFile(config, port), String(child.pid));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while ((await httpStatus(`${url}/web/health`)) !== 200) {
    if (!processAlive(child.pid)) throw new Error(`Odoo exited during start-up, see ${logFile}`);
    if (Date.now() > deadline) {
      await stopOdoo(port, config);
      throw new Error(`Odoo did not answer on ${url} within 120 s, see ${logFile}`);
    }
    await sleep(500);
  }
  return { db, port, pid: child.pid, url, logFile };
}

/** Stop the server this harness started on <port>, or all of them. */
export async function stopOdoo(port?: number, config: OdooDevConfig = loadConfig()): Promise<number[]> {
  if (!fs.existsSync(config.stateDir)) return [];
  const files = port === undefined
    ? fs.readdirSync(config.stateDir).filter((f) => /^server-\d+\.pid$/.test(f)).map((f) => path.join(config.stateDir, f))
    : [pidFile(config, port)];
  const stopped: number[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    const pid = Number(fs.readFileSync(file, 'utf8'));
    fs.rmSync(file, { force: true });
    if (!pid || !processAlive(pid)) continue;
    // The server was started detached: its process group is its own.
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      process.kill(pid, 'SIGTERM');
    }
    const deadline = Date.now() + 15_000;
    while (processAlive(pid) && Date.now() < deadline) await sleep(200);
    if (processAlive(pid)) process.kill(-pid, 'SIGKILL');
    stopped.push(pid);
  }
  return stopped;
}

export interface ModuleTestResult {
  ok: boolean;
  exitCode: number;
  summary: string;
  logFile: string;
}

/** Run Odoo's Python tests of the module on a fresh clone, then drop the clone. */
export async function runModuleTests(
  db = `tiktok_test_${process.pid}`,
  config: OdooDevConfig = loadConfig(),
  httpPort = Number(process.env.ODOO_TEST_HTTP_PORT) || 8169,
): Promise<ModuleTestResult> {
  await cloneDatabase(db, config);
  const logFile = path.join(os.tmpdir(), `odooDev-${db}-tests.log`);
  try {
    const exitCode = runOdoo(config, [
      '-d', db,
      `--db-filter=^${db}$`,
      '-u', OUR_MODULES.join(','),
      '--test-enable',
      `--test-tags=${OUR_MODULES.map((m) => `/${m}`).join(',')}`,
      '--stop-after-init',
      `--http-port=${httpPort}`,
      '--max-cron-threads=0',
    ], logFile);
    const logText = fs.readFileSync(logFile, 'utf8');
    const summary = logText.match(/odoo\.tests\.result: (.*)/g)?.pop()?.replace(/^odoo\.tests\.result: /, '').trim()
      ?? 'no test result line in the log';
    const ok = exitCode === 0 && /\b0 failed, 0 error\(s\)/.test(summary);
    return { ok, exitCode, summary, logFile };
  } finally {
    dropDatabase(db, config);
  }
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

const USAGE = 'usage: odooDev.ts template | clone <db> | start <db> <port> | stop [port] | test [db]';

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const config = loadConfig();
  const unavailable = odooUnavailableReason(config);
  if (unavailable) {
    console.log(`odooDev: skipped, ${unavailable}`);
    return 0;
  }
  switch (command) {
    case 'template': {
      const result = await ensureTemplate(config);
      console.log(`odooDev: ${result.db} ${result.rebuilt ? 'rebuilt' : 'up to date'} (${result.hash.slice(0, 12)})`);
      return 0;
    }
    case 'clone': {
      if (!args[0]) break;
      console.log(`odooDev: cloned ${await cloneDatabase(args[0], config)} from ${config.templateDb}`);
      return 0;
    }
    case 'start': {
      const port = Number(args[1]);
      if (!args[0] || !Number.isInteger(port) || port <= 0) break;
      const server = await startOdoo(args[0], port, config);
      console.log(`odooDev: ${server.db} on ${server.url} (pid ${server.pid}, log ${server.logFile})`);
      return 0;
    }
    case 'stop': {
      const port = args[0] === undefined ? undefined : Number(args[0]);
      const stopped = await stopOdoo(port, config);
      console.log(`odooDev: stopped ${stopped.length} server(s)`);
      return 0;
    }
    case 'test': {
      const result = await runModuleTests(args[0], config);
      console.log(`odooDev: ${MODULE_NAME} tests: ${result.summary} (log ${result.logFile})`);
      return result.ok ? 0 : 1;
    }
    default:
      break;
  }
  console.error(USAGE);
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`odooDev: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
