import fs from 'node:fs';
import { z } from 'zod';
import { normalizePixelId, PIXEL_ID, PIXEL_ID_FORMAT, RELAY_MAX_EVENTS_PER_REQUEST } from './contract/constants';
import { EVENT_NAME_CHOICES } from './contract/eventNames';
import { REPLICA_ID } from './contract/report';
import { OPS_PATHS, OPS_TOKEN_MIN_LENGTH } from './ops';
import { outboxUrlProblem } from './outbox/pg/url';

/**
 * Every setting comes from an environment variable, validated once at start.
 * The defaults run a working sidecar with nothing set (relay-only mode, no pixel yet).
 */

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { message: 'expected true or false' })
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));
/** A whole number within bounds; the message names the bounds, whatever is wrong with the value. */
const int = (min: number, max: number) => {
  const expected = `expected a whole number from ${min} to ${max}`;
  return z.coerce.number({ message: 'expected a number' }).int(expected).min(min, expected).max(max, expected);
};
const amount = (max: number) => z.coerce.number({ message: 'expected a number' }).positive('expected a number above 0').max(max, `expected a number up to ${max}`);
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const url = z.string().refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), 'expected an http(s) URL');
const origins = list.refine((items) => items.every((o) => /^https?:\/\/[^/]+$/.test(o.replace(/\/$/, ''))), 'expected origins such as https://shop.example');

/** `TRUST_PROXY`: false, a hop count, or a list of proxy addresses/subnets (express "trust proxy"). */
const trustProxy = z.string().transform((v, ctx): boolean | number | string[] => {
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  if (['true', 'yes', 'on'].includes(v)) return true;
  if (/^\d+$/.test(v)) return Number(v);
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.every((s) => /^[0-9a-fA-F.:/]+$/.test(s) || ['loopback', 'linklocal', 'uniquelocal'].includes(s))) {
    ctx.addIssue({ code: 'custom', message: 'expected false, a hop count, or proxy addresses/subnets' });
    return z.NEVER;
  }
  return items;
});

/** Typed by a person: trimmed and upper-cased, as the module does with the settings field. */
const pixelId = z.string().transform(normalizePixelId).pipe(z.string().regex(PIXEL_ID, `expected ${PIXEL_ID_FORMAT}`));

export const EnvSchema = z.object({
  RELAY_HOST: z.string().default('127.0.0.1'),
  RELAY_PORT: int(0, 65535).default(8787),
  RELAY_PATH: z
    .string()
    .regex(/^\/[\w\-/.]*$/, 'expected a path such as /tiktok/relay')
    .refine((path) => !(OPS_PATHS as readonly string[]).includes(path), `expected a path other than ${OPS_PATHS.join(', ')}, which the relay port also serves`)
    .default('/tiktok/relay'),
  RELAY_ALLOWED_ORIGINS: origins.default([]),
  RELAY_MAX_BODY_BYTES: int(1024, 1024 * 1024).default(64 * 1024),
  RELAY_RATE_LIMIT_PER_MINUTE: int(0, 1_000_000).default(600),
  // One event per request is the common case, so a batch of 20 cannot multiply the request budget.
  RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: int(0, 20_000_000).default(600),
  // A beacon body is a few kilobytes; 64 KB takes about a second on a poor mobile link.
  RELAY_BODY_TIMEOUT_MS: int(100, 60_000).default(5000),
  // Generous enough for carts in rupiah or dong, low enough to stop 1e308 and unit errors.
  RELAY_MAX_VALUE: amount(1e15).default(1_000_000_000),
  RELAY_MAX_PRICE: amount(1e15).default(1_000_000_000),
  RELAY_MAX_QUANTITY: amount(1e9).default(10_000),
  TRUST_PROXY: trustProxy.default(false),
  // Each listener (relay, operations): connections at once, and per client address (an IPv6 /64 is one address).
  RELAY_MAX_CONNECTIONS: int(1, 1_000_000).default(2048),
  RELAY_MAX_CONNECTIONS_PER_IP: int(1, 1_000_000).default(64),

  OUTBOX_PATH: z.string().min(1).default('./data/outbox.sqlite'),
  // A PostgreSQL outbox instead of the file, shared by replicas; never echoed (it may hold a password).
  OUTBOX_URL: z.string().superRefine((v, ctx) => {
    const problem = outboxUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
  OUTBOX_PG_POOL_MAX: int(1, 100).default(5),
  // How long a replica's claimed batch stays its own: past it, a replica that died holding it gives it back.
  OUTBOX_LEASE_MS: int(10_000, 86_400_000).default(120_000),
  OUTBOX_SYNC: z.enum(['normal', 'full']).default('normal'),
  OUTBOX_RETENTION_HOURS: int(1, 24 * 90).default(72),
  // About 100 MB of typical rows: days of a busy shop's events while TikTok is unreachable.
  OUTBOX_MAX_WAITING_PER_PIXEL: int(0, 100_000_000).default(100_000),
  // Below this much room on the outbox's filesystem /healthz is not ok: a nearly full disk takes small writes and refuses batches.
  OUTBOX_MIN_FREE_MB: int(0, 1_000_000).default(32),

  TIKTOK_API_BASE_URL: url.default('https://business-api.tiktok.com/open_api'),
  TIKTOK_TIMEOUT_MS: int(500, 120_000).default(10_000),
  // A ceiling of Events API requests per pixel and second, shared by every replica of a PostgreSQL outbox; 0: none.
  TIKTOK_MAX_REQUESTS_PER_SECOND: int(0, 10_000).default(0),
  TIKTOK_PIXEL_ID: pixelId.optional(),
  TIKTOK_ACCESS_TOKEN: z.string().min(10, 'expected the Events API access token').optional(),
  TIKTOK_TEST_EVENT_CODE: z.string().max(64).optional(),
  TIKTOK_EVENT_NAME_PURCHASE: z.enum(EVENT_NAME_CHOICES.Purchase).default('Purchase'),
  TIKTOK_EVENT_NAME_SUBMITFORM: z.enum(EVENT_NAME_CHOICES.SubmitForm).default('SubmitForm'),
  TIKTOK_CONSENT_REQUIRED: bool.default(false),

  DISPATCH_MAX_BATCH: int(1, 1000).default(1000),
  DISPATCH_LINGER_MS: int(0, 60_000).default(250),
  DISPATCH_CONCURRENCY: int(1, 64).default(4),
  RETRY_BASE_MS: int(10, 600_000).default(1000),
  RETRY_MAX_MS: int(100, 3_600_000).default(300_000),
  LANE_PAUSE_BASE_MS: int(100, 3_600_000).default(5_000),
  LANE_PAUSE_MAX_MS: int(100, 86_400_000).default(300_000),

  ODOO_URL: url.optional(),
  ODOO_DB: z.string().optional(),
  ODOO_LOGIN: z.string().optional(),
  ODOO_API_KEY: z.string().optional(),
  ODOO_TRANSPORT: z.enum(['auto', 'json2', 'xmlrpc']).default('auto'),
  SETTINGS_REFRESH_SECONDS: int(5, 86_400).default(60),
  POLL_INTERVAL_SECONDS: int(1, 3600).default(5),
  PURCHASE_LEASE_SECONDS: int(10, 86_400).default(600),
  // The replica's name in Odoo (purchase claims, reports); `host:pid` when unset.
  SIDECAR_REPLICA_ID: z.string().regex(REPLICA_ID, 'expected 1 to 128 letters, digits and . _ : @ / + -').optional(),

  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_GRACE_MS: int(0, 120_000).default(10_000),

  // Details of /healthz and /metrics: with this token on the relay port, or without one on a port of their own.
  OPS_TOKEN: z
    .string()
    .min(OPS_TOKEN_MIN_LENGTH, `expected at least ${OPS_TOKEN_MIN_LENGTH} characters (e.g. the output of: openssl rand -hex 32)`)
    .regex(/^[\x21-\x7e]+$/, 'expected printable characters without spaces')
    .optional(),
  OPS_HOST: z.string().default('127.0.0.1'),
  OPS_PORT: int(0, 65535).optional(),
  // /healthz and /metrics requests a minute per client address without the token: a monitor needs a few.
  OPS_RATE_LIMIT_PER_MINUTE: int(0, 1_000_000).default(600),
});

export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Env names whose values must never be echoed back, even in an error message. */
const SECRET_VARS = new Set(['TIKTOK_ACCESS_TOKEN', 'ODOO_API_KEY', 'OPS_TOKEN', 'OUTBOX_URL']);

/**
 * A claimed batch may take several requests (a refused batch is bisected): its lease
 * lasts at least this many TikTok request timeouts before another replica may take it.
 */
export const LEASE_TIMEOUTS = 4;

/** Variables of earlier versions, with what replaced them: set, they stop the start with that advice. */
const REPLACED_VARS: Record<string, string> = {
  UNAUTHORIZED_PAUSE_MS: 'LANE_PAUSE_MAX_MS (longest pause of a lane; LANE_PAUSE_BASE_MS is the first one)',
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Env {
  const replaced = Object.entries(REPLACED_VARS).filter(([name]) => env[name] !== undefined && env[name].trim() !== '');
  if (replaced.length) throw new ConfigError(replaced.map(([name, now]) => `${name} is no longer read: use ${now}`));
  // Blank variables (VAR= in a compose file) mean "not set".
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in EnvSchema.shape && v !== undefined && v.trim() !== ''));
  const result = EnvSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        const shown = SECRET_VARS.has(name) ? '' : ` (got "${String(present[name]).slice(0, 80)}")`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const cfg = result.data;
  const problems: string[] = [];
  if (!!cfg.TIKTOK_PIXEL_ID !== !!cfg.TIKTOK_ACCESS_TOKEN) problems.push('TIKTOK_PIXEL_ID and TIKTOK_ACCESS_TOKEN go together: set both or neither');
  if (cfg.ODOO_URL && (!cfg.ODOO_LOGIN || !cfg.ODOO_API_KEY)) problems.push('ODOO_URL needs ODOO_LOGIN and ODOO_API_KEY (an API key of the TikTok sidecar user)');
  if (!cfg.ODOO_URL && (cfg.ODOO_LOGIN || cfg.ODOO_API_KEY || cfg.ODOO_DB)) problems.push('ODOO_LOGIN/ODOO_API_KEY/ODOO_DB are set but ODOO_URL is not');
  if (cfg.RETRY_MAX_MS < cfg.RETRY_BASE_MS) problems.push('RETRY_MAX_MS must be at least RETRY_BASE_MS');
  if (cfg.OPS_PORT && cfg.OPS_PORT === cfg.RELAY_PORT) problems.push('OPS_PORT must differ from RELAY_PORT (the operations port is a listener of its own)');
  if (cfg.RELAY_RATE_LIMIT_EVENTS_PER_MINUTE > 0 && cfg.RELAY_RATE_LIMIT_EVENTS_PER_MINUTE < RELAY_MAX_EVENTS_PER_REQUEST) {
    problems.push(`RELAY_RATE_LIMIT_EVENTS_PER_MINUTE must be 0 (off) or at least ${RELAY_MAX_EVENTS_PER_REQUEST}, the events one request may carry`);
  }
  if (cfg.LANE_PAUSE_MAX_MS < cfg.LANE_PAUSE_BASE_MS) problems.push('LANE_PAUSE_MAX_MS must be at least LANE_PAUSE_BASE_MS');
  if (cfg.RELAY_MAX_CONNECTIONS_PER_IP > cfg.RELAY_MAX_CONNECTIONS) problems.push('RELAY_MAX_CONNECTIONS_PER_IP must be at most RELAY_MAX_CONNECTIONS');
  if (cfg.OUTBOX_URL && present.OUTBOX_PATH !== undefined) {
    problems.push('OUTBOX_URL and OUTBOX_PATH are both set: the outbox is either the PostgreSQL database of OUTBOX_URL or the file of OUTBOX_PATH, unset one');
  }
  if (cfg.OUTBOX_URL && cfg.OUTBOX_LEASE_MS < LEASE_TIMEOUTS * cfg.TIKTOK_TIMEOUT_MS) {
    problems.push(
      `OUTBOX_LEASE_MS must be at least ${LEASE_TIMEOUTS} × TIKTOK_TIMEOUT_MS (${LEASE_TIMEOUTS * cfg.TIKTOK_TIMEOUT_MS} ms): a batch still being sent must not return to the queue`,
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return cfg;
}

/** Prefixes of the sidecar's variables: another name with one of them is most likely a typo. */
const OWN_PREFIXES = ['RELAY_', 'OUTBOX_', 'TIKTOK_', 'DISPATCH_', 'RETRY_', 'LANE_PAUSE_', 'ODOO_', 'OPS_', 'SIDECAR_', 'SETTINGS_', 'POLL_', 'PURCHASE_', 'SHUTDOWN_'];

/**
 * What an operator should hear about a configuration that starts but is likely
 * not what was meant: a variable of the sidecar's that it does not know (a typo
 * leaves the default in force, silently), and an operations port open to the
 * network without a token. Values are never repeated.
 */
export function configWarnings(cfg: Env, env: NodeJS.ProcessEnv = process.env, openFiles: number | undefined = openFilesLimit()): string[] {
  const known = Object.keys(EnvSchema.shape);
  const warnings = Object.keys(env)
    .filter((name) => OWN_PREFIXES.some((prefix) => name.startsWith(prefix)) && !(name in EnvSchema.shape) && !(name in REPLACED_VARS))
    .sort()
    .map((name) => {
      const prefix = OWN_PREFIXES.find((p) => name.startsWith(p))!;
      return `${name} is not a setting of the sidecar and is ignored; the ${prefix}… settings are ${known.filter((k) => k.startsWith(prefix)).join(', ')}`;
    });
  // Each connection is a file; the outbox, its WAL and the sockets to TikTok and Odoo need some too.
  if (openFiles !== undefined && cfg.RELAY_MAX_CONNECTIONS + FILES_BESIDE_CONNECTIONS > openFiles) {
    warnings.push(
      `RELAY_MAX_CONNECTIONS is ${cfg.RELAY_MAX_CONNECTIONS} but the process may open only ${openFiles} files: the system's limit would refuse connections first, the idle ones included. Lower RELAY_MAX_CONNECTIONS below ${openFiles - FILES_BESIDE_CONNECTIONS} or raise the limit (ulimit -n, LimitNOFILE, the container's nofile)`,
    );
  }
  if (cfg.OPS_PORT !== undefined && !isLoopback(cfg.OPS_HOST)) {
    warnings.push(
      `OPS_PORT listens on ${cfg.OPS_HOST}, not only on this machine: whoever reaches ${cfg.OPS_HOST}:${cfg.OPS_PORT} reads /metrics and the outbox counts without a token. Keep that port off any published or public network`,
    );
  }
  return warnings;
}

/** Files the sidecar holds besides its client connections (outbox, WAL, sockets to TikTok and Odoo, the operations listener), with room. */
const FILES_BESIDE_CONNECTIONS = 128;

/** The process's open-files limit (Linux), undefined where it cannot be read. */
export function openFilesLimit(limits = '/proc/self/limits'): number | undefined {
  try {
    const line = fs.readFileSync(limits, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export type RunMode = 'odoo' | 'relay-only';

export function runMode(cfg: Env): RunMode {
  return cfg.ODOO_URL ? 'odoo' : 'relay-only';
}
