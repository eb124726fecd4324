/**
 * One complete installation per suite file: a fresh Odoo 19 database cloned
 * from the template (shop + our module), Odoo serving it on a loopback port,
 * the fake TikTok Events API, the sidecar as a child process in Odoo mode
 * (settings and purchases read over JSON-2 with a least-privilege user's API
 * key), and Debian's Chromium. `stop()` undoes all of it, also after a failure.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import {
  cloneDatabase,
  dropDatabase,
  loadConfig,
  startOdoo,
  stopOdoo,
  type RunningOdoo,
} from '../../../scripts/odooDev';
import { exited, freePort, OPS_AUTH, spawnSidecar } from '../../helpers/process';
import { createSidecarUser } from '../../helpers/odooShop';
import { startFakeEventsApi, type FakeEventsApi, type FakeEventsApiOptions } from '../../support/fakeEventsApi';
import { CHROMIUM_PATH } from './env';
import { connectAdmin, type OdooAdmin } from './odooAdmin';

export const PIXEL = 'CE2EPIXEL00000000001';
export const PIXEL_2 = 'CE2EPIXEL00000000002';
export const ACCESS_TOKEN = 'e2e-events-api-token-7f3a9c1d5b';
export const ACCESS_TOKEN_2 = 'e2e-events-api-token-2-b81c4e6f0a';
export const SIDECAR_LOGIN = 'tiktok-sidecar';
/** The sidecar's POLL_INTERVAL_SECONDS: it reports to Odoo this often. */
export const REPORT_INTERVAL_SECONDS = 1;

/** A normal desktop Chrome: the relay refuses "HeadlessChrome" as automation. */
export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface StackOptions {
  /** Short name: the database is tt_e2e_<suite>_<pid>. */
  suite: string;
  debug?: boolean;
  testEventCode?: string;
  /** Refusals the fake Events API makes of its own accord (which rows it rejects, and how). */
  fake?: Pick<FakeEventsApiOptions, 'rejectEvent' | 'rejectMode'>;
  /** SIDECAR_REPLICA_ID of the sidecar (its name in Odoo); the host name when unset. */
  replicaId?: string;
}

export interface Stack {
  db: string;
  odoo: RunningOdoo;
  /** http://127.0.0.1:<port>: website 1's own domain. */
  baseUrl: string;
  port: number;
  admin: OdooAdmin;
  fake: FakeEventsApi;
  sidecarUrl: string;
  relayUrl: string;
  sidecarOutput: string[];
  browser: Browser;
  /** Restart the sidecar (same outbox): settings are read at start. */
  restartSidecar(): Promise<void>;
  /** SIGTERM to the sidecar; resolves once it exited. */
  stopSidecar(): Promise<void>;
  stop(): Promise<void>;
}

function log(message: string): void {
  if (process.env.E2E_VERBOSE) console.log(`e2e: ${message}`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Odoo ports of this suite start at 8469 (other tools use lower ranges). */
async function freeOdooPort(): Promise<number> {
  const start = 8469 + (process.pid % 20) * 3;
  for (let port = start; port < 8600; port += 1) if (await portIsFree(port)) return port;
  throw new Error('no free port for Odoo between 8469 and 8600');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The sidecar answers and has read at least `pixels` usable website settings from Odoo. */
export async function waitForSidecarSettings(sidecarUrl: string, pixels = 1, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `the sidecar to load ${pixels} pixel(s)`,
    async () => {
      const res = await fetch(`${sidecarUrl}/healthz`, { headers: OPS_AUTH });
      const body = (await res.json()) as { pixels?: number };
      return res.ok && (body.pixels ?? 0) >= pixels ? true : undefined;
    },
    timeoutMs,
  );
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const started = Date.now();
  const db = `tt_e2e_${options.suite}_${process.pid}`;
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        console.warn(`e2e cleanup: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    cleanups.length = 0;
  };
  try {
    cleanups.push(() => dropDatabase(db));
    await cloneDatabase(db);
    log(`cloned ${db} (${Date.now() - started} ms)`);
    const sidecarUser = createSidecarUser(loadConfig(), db, SIDECAR_LOGIN);
    log(`sidecar user ready (${Date.now() - started} ms)`);

    const port = await freeOdooPort();
    cleanups.push(async () => {
      await stopOdoo(port);
    });
    const odoo = await startOdoo(db, port);
    const baseUrl = `http://127.0.0.1:${port}`;
    log(`odoo on ${baseUrl} (${Date.now() - started} ms)`);
    const admin = await connectAdmin(baseUrl, db);

    const fake = await startFakeEventsApi({ ...options.fake, tokens: { [PIXEL]: ACCESS_TOKEN, [PIXEL_2]: ACCESS_TOKEN_2 } });
    cleanups.push(() => fake.close());

    const sidecarPort = await freePort();
    const sidecarUrl = `http://127.0.0.1:${sidecarPort}`;
    const relayUrl = `${sidecarUrl}/tiktok/relay`;

    // The merchant's settings, through the settings form's own model.
    const settingsId = await admin.call<number>('res.config.settings', 'create', [
      {
        tiktok_enabled: true,
        tiktok_pixel_id: PIXEL,
        tiktok_access_token: ACCESS_TOKEN,
        tiktok_relay_url: relayUrl,
        tiktok_debug: options.debug ?? false,
        tiktok_test_event_code: options.testEventCode ?? false,
      },
    ]);
    await admin.call('res.config.settings', 'execute', [[settingsId]]);
    // Website 1 is served on 127.0.0.1, website 2 (demo data) on localhost.
    await admin.call('website', 'write', [[1], { domain: baseUrl }]);
    await admin.call('website', 'write', [[2], { domain: `http://localhost:${port}` }]);
    await admin.call('ir.config_parameter', 'set_param', ['web.base.url', baseUrl]);
    await admin.call('ir.config_parameter', 'set_param', ['web.base.url.freeze', 'True']);

    const outboxDir = mkdtempSync(path.join(os.tmpdir(), 'tt-e2e-outbox-'));
    cleanups.push(() => rmSync(outboxDir, { recursive: true, force: true }));
    const sidecarOutput: string[] = [];
    const sidecarEnv = {
      RELAY_PORT: String(sidecarPort),
      OUTBOX_PATH: path.join(outboxDir, 'outbox.sqlite'),
      TIKTOK_API_BASE_URL: fake.baseUrl,
      ODOO_URL: baseUrl,
      ODOO_DB: db,
      ODOO_LOGIN: sidecarUser.login,
      ODOO_API_KEY: sidecarUser.apiKey,
      ODOO_TRANSPORT: 'json2',
      POLL_INTERVAL_SECONDS: String(REPORT_INTERVAL_SECONDS),
      SETTINGS_REFRESH_SECONDS: '5',
      DISPATCH_LINGER_MS: '50',
      RETRY_BASE_MS: '200',
      RETRY_MAX_MS: '2000',
      RELAY_RATE_LIMIT_PER_MINUTE: '0',
      RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '0',
      SHUTDOWN_GRACE_MS: '2000',
      LOG_LEVEL: 'info',
      ...(options.replicaId ? { SIDECAR_REPLICA_ID: options.replicaId } : {}),
    };
    let sidecar: ChildProcess = spawnSidecar(sidecarEnv, sidecarOutput);
    const stopSidecar = async () => {
      if (sidecar.exitCode !== null || sidecar.signalCode !== null) return;
      sidecar.kill('SIGTERM');
      const timer = setTimeout(() => sidecar.kill('SIGKILL'), 10_000);
      await exited(sidecar);
      clearTimeout(timer);
    };
    cleanups.push(stopSidecar);
    await waitForSidecarSettings(sidecarUrl, 1, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\nsidecar output:\n${sidecarOutput.join('').slice(-4000)}`);
    });
    log(`sidecar on ${sidecarUrl} (${Date.now() - started} ms)`);

    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close());
    log(`stack of ${options.suite} ready in ${Date.now() - started} ms`);

    return {
      db,
      odoo,
      baseUrl,
      port,
      admin,
      fake,
      sidecarUrl,
      relayUrl,
      sidecarOutput,
      browser,
      async restartSidecar() {
        await stopSidecar();
        sidecar = spawnSidecar(sidecarEnv, sidecarOutput);
        await waitForSidecarSettings(sidecarUrl, 1, 60_000);
      },
      stopSidecar,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
