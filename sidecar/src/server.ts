import express, { type Express } from 'express';
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { LEASE_TIMEOUTS, runMode, type Env } from './config';
import { Dispatcher } from './dispatcher/dispatcher';
import { createLogger } from './log';
import { Metrics } from './metrics';
import { GroupCommitWriter } from './outbox/groupCommit';
import { openOutbox } from './outbox/openOutbox';
import type { NewOutboxEvent } from './outbox/eventQueue';
import type { CheckedOutboxEvent } from './outbox/rowGate';
import type { Outbox } from './outbox/outbox';
import { freeBytesBeside, OutboxWriteHealth } from './outbox/writeHealth';
import { addressGroup, guardConnections, type ConnectionLimits, type ConnectionShed } from './connections';
import { HEALTH_PATH, LIVE_PATH, METRICS_PATH, metricsClosed, opsAccess, opsBudget, OPS_RATE_LIMITED, OPS_UNAUTHORIZED, READY_PATH, type OpsAccess, type ProbePath } from './ops';
import { livenessStatus, readinessStatus, worstOf, type Health } from './probes';
import { compileTrust, createRelayHandler } from './relay/handler';
import { throttle } from './throttle';
import { startParts, stopParts, type Part } from './parts';
import { settingsFromEnv, StaticSettings } from './settings/static';
import type { SettingsSource } from './settings/types';
import { HttpEventsApiClient, type EventsApiClient } from './tiktok/client';
import { OdooConnector } from './odoo/connector';
import type { OdooTransport } from './odoo/types';
import { isOdooError } from './odoo/errors';
import { OdooSettingsSource } from './settings/odoo';
import { PurchasePoller } from './poller/purchasePoller';
import { SourcePoller } from './poller/sourcePoller';
import { defaultReplicaId } from './report/replica';
import { Reporter } from './report/reporter';
import { ReportTally } from './report/tally';
import { version } from '../../package.json';

export interface SidecarParts {
  log?: Logger;
  /** Replaces the Odoo connection made from ODOO_* variables (tests). */
  odoo?: () => Promise<OdooTransport>;
  settings?: SettingsSource;
  outbox?: Outbox;
  client?: EventsApiClient;
  metrics?: Metrics;
}

export interface Sidecar {
  /** Operations endpoints (health, metrics). */
  app: Express;
  /** The whole HTTP surface: the relay path, then everything else through `app`. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  outbox: Outbox;
  dispatcher: Dispatcher;
  poller?: PurchasePoller;
  /** Odoo mode: events of Odoo's other sources (CRM lead stages, offline sales). */
  sourcePoller?: SourcePoller;
  /** Odoo mode: the report to Odoo every poll interval. */
  reporter?: Reporter;
  settings: SettingsSource;
  metrics: Metrics;
  log: Logger;
  /** Listen and start delivering; resolves with the bound port. */
  start(): Promise<number>;
  /** What /readyz answers: not ok while stopping or while the outbox takes no writes. */
  readiness(): Promise<Health>;
  /** What /livez answers: not ok when the dispatcher's loop stopped turning. */
  liveness(): Health;
  /** What /healthz answers: readiness and liveness. */
  health(): Promise<Health>;
  /** The bound operations port (OPS_PORT) once started; undefined when there is none. */
  opsPort(): number | undefined;
  /** Stop intake, deliver what is due within the grace period, close the outbox. */
  stop(): Promise<void>;
}

/**
 * Slow clients are cut off: the headers must arrive within the body deadline, and
 * the whole request within twice that. Idle keep-alive connections live longer
 * than a proxy's usual 60 s, so the proxy, not the sidecar, closes them (no race
 * on a connection the proxy is reusing). The limits are checked every second.
 */
export function httpServerTimeouts(cfg: Pick<Env, 'RELAY_BODY_TIMEOUT_MS'>) {
  return {
    headersTimeout: cfg.RELAY_BODY_TIMEOUT_MS,
    requestTimeout: 2 * cfg.RELAY_BODY_TIMEOUT_MS,
    keepAliveTimeout: 65_000,
    connectionsCheckingInterval: 1000,
  };
}

/** This replica's name: in Odoo (claims, reports) and on a shared PostgreSQL outbox (its claims, its write probe). */
export function replicaName(cfg: Pick<Env, 'SIDECAR_REPLICA_ID'>): string {
  return cfg.SIDECAR_REPLICA_ID ?? defaultReplicaId();
}

/** Wire the parts together. Every part can be replaced (tests, Odoo-driven settings). */
export function createSidecar(cfg: Env, parts: SidecarParts = {}): Sidecar {
  const log = parts.log ?? createLogger(cfg.LOG_LEVEL);
  const metrics = parts.metrics ?? new Metrics({ defaultMetrics: true });
  if (cfg.OUTBOX_URL && !parts.outbox) {
    // Connecting to PostgreSQL is asynchronous: `serve` opens that outbox (openPgOutbox) and passes it.
    throw new Error('OUTBOX_URL is set: open the PostgreSQL outbox first (openPgOutbox) and pass it as parts.outbox');
  }
  const outbox =
    parts.outbox ?? openOutbox(cfg.OUTBOX_PATH, { synchronous: cfg.OUTBOX_SYNC }, {
      log,
      onMovedAside: (salvaged) => {
        metrics.outboxCorrupt.inc();
        metrics.outboxSalvaged.inc(salvaged.events.pending + salvaged.events.dead + salvaged.events.delivered);
      },
    });
  const connector =
    cfg.ODOO_URL && !parts.odoo
      ? new OdooConnector(
          { url: cfg.ODOO_URL, db: cfg.ODOO_DB, login: cfg.ODOO_LOGIN ?? '', apiKey: cfg.ODOO_API_KEY ?? '', transport: cfg.ODOO_TRANSPORT },
          log,
        )
      : undefined;
  const odoo = parts.odoo ?? (connector ? odooCalls(connector) : undefined);
  const odooSettings = odoo && !parts.settings ? new OdooSettingsSource(odoo, log, cfg.SETTINGS_REFRESH_SECONDS * 1000, outbox.settingsSnapshot) : undefined;
  const settings = parts.settings ?? odooSettings ?? new StaticSettings(settingsFromEnv(cfg));
  const client = parts.client ?? new HttpEventsApiClient({ baseUrl: cfg.TIKTOK_API_BASE_URL, timeoutMs: cfg.TIKTOK_TIMEOUT_MS });
  const queue = outbox.events;
  metrics.watchOutbox(queue);
  // Only Odoo reads the report: in relay-only mode nothing counts for it.
  const tally = odoo ? new ReportTally() : undefined;
  const replica = replicaName(cfg);

  const writeHealth = new OutboxWriteHealth(() => outbox.probeWrite(Date.now()), Date.now, undefined, {
    // A PostgreSQL outbox's room is the database server's, not this machine's.
    freeBytes: cfg.OUTBOX_URL ? () => undefined : freeBytesBeside(cfg.OUTBOX_PATH),
    minFreeBytes: cfg.OUTBOX_MIN_FREE_MB * 2 ** 20,
  });
  const dispatcher = new Dispatcher(
    { queue, client, settings, metrics, log, tally, onOutboxError: (err) => writeHealth.failed(err), onOutboxRecovered: () => writeHealth.succeeded() },
    {
      maxBatchSize: cfg.DISPATCH_MAX_BATCH,
      lingerMs: cfg.DISPATCH_LINGER_MS,
      maxConcurrentRequests: cfg.DISPATCH_CONCURRENCY,
      backoff: { baseMs: cfg.RETRY_BASE_MS, maxMs: cfg.RETRY_MAX_MS },
      pause: { baseMs: cfg.LANE_PAUSE_BASE_MS, maxMs: cfg.LANE_PAUSE_MAX_MS },
      idleMs: 1000,
      // A probe still on its way to TikTok stays this replica's, as its rows' lease does (config.ts).
      probeLeaseMs: LEASE_TIMEOUTS * cfg.TIKTOK_TIMEOUT_MS,
      maxRequestsPerSecond: cfg.TIKTOK_MAX_REQUESTS_PER_SECOND,
    },
  );
  const onStored = (events: NewOutboxEvent[], stored: boolean[]) => {
    tally?.accepted(events, stored);
    dispatcher.wake(stored.filter(Boolean).length);
  };
  const writer = new GroupCommitWriter(queue, Date.now, onStored);
  const onRefused = (queueName: string, count: number) => metrics.rowsRefused.inc({ queue: queueName }, count);
  const pollIntervalMs = cfg.POLL_INTERVAL_SECONDS * 1000;
  const poller = odoo
    ? new PurchasePoller(
        { odoo, settings, purchaseClaims: outbox.purchaseClaims, log, onEnqueued: onStored, onRefused },
        { intervalMs: pollIntervalMs, leaseSeconds: cfg.PURCHASE_LEASE_SECONDS, batchSize: 50, maxBackoffMs: ODOO_MAX_BACKOFF_MS, claimer: replica },
      )
    : undefined;
  const sourcePoller = odoo
    ? new SourcePoller(
        { odoo, settings, sourceClaims: outbox.sourceClaims, log, onEnqueued: onStored, onRefused },
        { intervalMs: pollIntervalMs, leaseSeconds: cfg.PURCHASE_LEASE_SECONDS, batchSize: 50, maxBackoffMs: ODOO_MAX_BACKOFF_MS, claimer: replica },
      )
    : undefined;
  const reporter =
    odoo && tally
      ? new Reporter(
          { odoo, tally, queue, lanes: () => dispatcher.laneStates(), settings, client, log, onRequeued: () => dispatcher.wake() },
          { replica: { replica, version, startedAt: Date.now(), runId: randomUUID(), pollIntervalSeconds: cfg.POLL_INTERVAL_SECONDS }, intervalMs: pollIntervalMs, maxBackoffMs: ODOO_MAX_BACKOFF_MS },
        )
      : undefined;
  let accepting = true;
  const enqueue = (events: CheckedOutboxEvent[]) =>
    writer.enqueue(events).then(
      (result) => {
        writeHealth.succeeded();
        return result;
      },
      (err: unknown) => {
        writeHealth.failed(err);
        throw err;
      },
    );

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', cfg.TRUST_PROXY);
  app.set('etag', false);
  const relay = createRelayHandler(
    { settings, enqueue, waitingCount: (pixelId, limit) => queue.waitingCount(pixelId, limit), metrics, log, isAccepting: () => accepting },
    {
      path: cfg.RELAY_PATH,
      maxBodyBytes: cfg.RELAY_MAX_BODY_BYTES,
      rateLimitPerMinute: cfg.RELAY_RATE_LIMIT_PER_MINUTE,
      extraAllowedOrigins: cfg.RELAY_ALLOWED_ORIGINS,
      trustProxy: cfg.TRUST_PROXY,
      rateLimitEventsPerMinute: cfg.RELAY_RATE_LIMIT_EVENTS_PER_MINUTE,
      bodyTimeoutMs: cfg.RELAY_BODY_TIMEOUT_MS,
      limits: { value: cfg.RELAY_MAX_VALUE, price: cfg.RELAY_MAX_PRICE, quantity: cfg.RELAY_MAX_QUANTITY },
      maxWaitingPerPixel: cfg.OUTBOX_MAX_WAITING_PER_PIXEL,
    },
  );
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === cfg.RELAY_PATH) relay(req, res);
    else app(req, res);
  };
  let wasWritable = true;
  async function readiness(): Promise<Health> {
    const outbox = await writeHealth.check();
    if (outbox.writable !== wasWritable) {
      wasWritable = outbox.writable;
      if (outbox.writable) log.info('outbox: writes succeed again; /readyz and /healthz are ok');
      else log.error({ error: outbox.error }, 'outbox: writes fail; /readyz and /healthz report outbox_unwritable until one succeeds');
    }
    return readinessStatus({ accepting, outboxWritable: outbox.writable });
  }
  let wasLive = true;
  function liveness(): Health {
    const heartbeat = dispatcher.heartbeat();
    const answer = livenessStatus(heartbeat, Date.now());
    if (answer.ok !== wasLive) {
      wasLive = answer.ok;
      if (answer.ok) log.info('dispatcher: the loop turns again; /livez is ok');
      else log.error({ lastTurnSecondsAgo: Math.round((Date.now() - heartbeat.lastTurnAt) / 1000) }, 'dispatcher: the loop has stopped turning; /livez reports stalled (an orchestrator restarts the process)');
    }
    return answer;
  }
  const health = async (): Promise<Health> => worstOf(await readiness(), liveness());
  const ops: OpsRoutes = {
    probes: { [HEALTH_PATH]: health, [READY_PATH]: readiness, [LIVE_PATH]: liveness },
    details: async () => {
      const { rss, heapUsed } = process.memoryUsage();
      const { freeBytes, error } = await writeHealth.check();
      return {
        mode: runMode(cfg),
        pixels: settings.all().length,
        outbox: await queue.counts(),
        outboxDisk: { freeMb: freeBytes === undefined ? null : Math.floor(freeBytes / 2 ** 20), minFreeMb: cfg.OUTBOX_MIN_FREE_MB, ...(error ? { error } : {}) },
        memoryMb: { rss: Math.round(rss / 2 ** 20), heapUsed: Math.round(heapUsed / 2 ** 20) },
        dispatcherLastTurnSecondsAgo: Math.max(0, Math.round((Date.now() - dispatcher.heartbeat().lastTurnAt) / 1000)),
      };
    },
    metrics,
  };
  const opsLimits = { perMinute: cfg.OPS_RATE_LIMIT_PER_MINUTE };
  mountOpsRoutes(app, ops, (req) => opsAccess(req.headers.authorization, cfg.OPS_TOKEN), metricsClosed(cfg), opsLimits);
  // The operations port answers everything without a token: it is bound where only operators reach it.
  const opsApp =
    cfg.OPS_PORT === undefined ? undefined : mountOpsRoutes(express().disable('x-powered-by'), ops, () => 'granted', metricsClosed(cfg), opsLimits);
  const trusted = compileTrust(cfg.TRUST_PROXY);
  const connectionLimits: ConnectionLimits = {
    maxConnections: cfg.RELAY_MAX_CONNECTIONS,
    maxPerAddress: cfg.RELAY_MAX_CONNECTIONS_PER_IP,
    // A trusted proxy carries every shopper's connection: only the overall cap applies to it.
    exempt: (address) => trusted(address, 0),
  };
  const shedLogged = throttle(60_000);
  const onShed = (listener: string) => (why: ConnectionShed, evicted: boolean) => {
    metrics.connectionsShed.inc({ listener, reason: why, closed: evicted ? 'idle' : 'new' });
    if (shedLogged(`${listener}:${why}`)) {
      log.warn(
        { listener, reason: why, maxConnections: cfg.RELAY_MAX_CONNECTIONS, maxPerIp: cfg.RELAY_MAX_CONNECTIONS_PER_IP },
        `connections: a cap was reached (${why === 'address_cap' ? 'RELAY_MAX_CONNECTIONS_PER_IP, one client address' : 'RELAY_MAX_CONNECTIONS, the whole listener'}); the longest-idle connection is closed for each new one (once a minute)`,
      );
    }
  };

  /** Bounded passes with a turn of the event loop between them, so the relay keeps answering. */
  const scrubDeadLetters = async (deadBefore: number): Promise<void> => {
    let scrubbed = 0;
    try {
      for (let changed = SCRUB_BATCH; changed === SCRUB_BATCH && accepting; ) {
        changed = await queue.scrubDeadLetters(deadBefore, SCRUB_BATCH);
        scrubbed += changed;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      log.error({ err }, 'outbox: scrubbing dead letters failed; the next pass tries again');
    }
    if (scrubbed) log.info({ scrubbed }, 'outbox: dead letters past retention stripped of user data and page query strings');
  };

  let server: Server | undefined;
  let serverClosed: Promise<void> = Promise.resolve();
  let opsServer: Server | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  const retentionMs = cfg.OUTBOX_RETENTION_HOURS * 3600_000;
  const prune = async () => {
    const before = Date.now() - retentionMs;
    try {
      const removed = await queue.prune(before);
      if (removed) log.info({ removed }, 'outbox: delivered events past retention removed');
    } catch (err) {
      log.error({ err }, 'outbox: removing delivered events past retention failed; the next pass tries again');
    }
    await scrubDeadLetters(before);
  };

  /** Started in this order, stopped in the reverse one (see `Part`). */
  const running: Part[] = [
    { name: 'outbox', release: () => outbox.close() },
    // Before the relay opens: it accepts on the last settings seen while Odoo is down.
    { name: 'settings snapshot', start: () => odooSettings?.restoreSnapshot() },
    { name: 'odoo connection', release: () => connector?.close() },
    // The last counts, the flush's deliveries included.
    { name: 'report', start: () => reporter?.start(), release: () => reporter?.stop() },
    {
      // Report what TikTok settled during the flush, so Odoo does not hand it out again.
      name: 'settled claims',
      release: async () => {
        await poller?.reportSettled().catch(() => undefined);
        await sourcePoller?.reportSettled().catch(() => undefined);
      },
    },
    {
      name: 'ops server',
      start: async () => {
        if (!opsApp) return;
        const opsAt = { port: cfg.OPS_PORT!, host: cfg.OPS_HOST, names: 'OPS_HOST, OPS_PORT' };
        opsServer = await listen(opsApp, opsAt, httpServerTimeouts(cfg), (s) => guardConnections(s, connectionLimits, { onShed: onShed('ops') }));
      },
      release: async () => {
        opsServer?.closeAllConnections();
        await new Promise<void>((resolve) => (opsServer ? opsServer.close(() => resolve()) : resolve()));
      },
    },
    { name: 'dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop(cfg.SHUTDOWN_GRACE_MS) },
    { name: 'group commit', stop: () => writer.flush() },
    {
      // Requests already read finish during the drain; the connections left are cut after it.
      name: 'relay server',
      start: async () => {
        const relayAt = { port: cfg.RELAY_PORT, host: cfg.RELAY_HOST, names: 'RELAY_HOST, RELAY_PORT' };
        server = await listen(handler, relayAt, httpServerTimeouts(cfg), (s) => guardConnections(s, connectionLimits, { onShed: onShed('relay') }));
      },
      stop: () => {
        serverClosed = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
        server?.closeIdleConnections();
      },
      release: async () => {
        server?.closeAllConnections();
        await serverClosed;
      },
    },
    { name: 'odoo settings', start: () => odooSettings?.start(), stop: () => odooSettings?.stop() },
    {
      name: 'claim pollers',
      start: () => {
        poller?.start();
        sourcePoller?.start();
      },
      stop: async () => {
        await poller?.stop();
        await sourcePoller?.stop();
      },
    },
    {
      name: 'retention',
      start: () => {
        void prune();
        pruneTimer = setInterval(() => void prune(), Math.min(retentionMs, 3600_000));
        pruneTimer.unref();
      },
      stop: () => {
        if (pruneTimer) clearInterval(pruneTimer);
      },
    },
    {
      name: 'intake',
      stop: () => {
        accepting = false;
      },
    },
  ];

  return {
    app,
    handler,
    outbox,
    dispatcher,
    poller,
    sourcePoller,
    reporter,
    settings,
    metrics,
    log,
    readiness,
    liveness,
    health,
    async start() {
      await startParts(running);
      return (server!.address() as AddressInfo).port;
    },
    opsPort() {
      return opsServer ? (opsServer.address() as AddressInfo).port : undefined;
    },
    stop: () => stopParts(running),
  };
}

/** Longest wait between two calls to an Odoo that keeps failing (purchase poll, report). */
const ODOO_MAX_BACKOFF_MS = 60_000;

/** Dead letters scrubbed per statement. */
const SCRUB_BATCH = 500;

export type { Health } from './probes';

interface OpsRoutes {
  probes: Record<ProbePath, () => Health | Promise<Health>>;
  details: () => Promise<Record<string, unknown>>;
  metrics: Metrics;
}

/**
 * The probes and `/metrics`. An anonymous caller learns only a probe's status
 * (what a healthcheck reads); details and metrics need `access` to grant the request.
 */
function mountOpsRoutes(
  app: Express,
  ops: OpsRoutes,
  access: (req: IncomingMessage) => OpsAccess,
  closedMetrics: ReturnType<typeof metricsClosed>,
  limits: { perMinute: number },
): Express {
  // Without the token, a budget per client address: /healthz is no free door for a flood.
  const budget = opsBudget(limits.perMinute);
  app.use(async (req, res, next) => {
    if (access(req) === 'granted') return next();
    const wait = await budget(addressGroup(req.ip));
    if (wait === undefined) return next();
    res.status(429).set('Retry-After', String(wait)).set('Cache-Control', 'no-store').json(OPS_RATE_LIMITED(limits.perMinute));
  });
  for (const [path, probe] of Object.entries(ops.probes)) {
    app.get(path, async (req, res) => {
      res.set('Cache-Control', 'no-store');
      const who = access(req);
      if (who === 'refused') return void res.status(401).set('WWW-Authenticate', 'Bearer').json(OPS_UNAUTHORIZED);
      const { ok, status } = await probe();
      res.status(ok ? 200 : 503).json(who === 'granted' ? { status, ...(await ops.details()) } : { status });
    });
  }
  app.get(METRICS_PATH, async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (access(req) !== 'granted') {
      if (closedMetrics.status === 401) res.set('WWW-Authenticate', 'Bearer');
      return void res.status(closedMetrics.status).json(closedMetrics.body);
    }
    res.type(ops.metrics.registry.contentType).send(await ops.metrics.registry.metrics());
  });
  app.use((_req, res) => res.status(404).json({ error: 'not_found', detail: 'no such endpoint' }));
  return app;
}

/** A listener could not be opened: the message names the variables to look at. */
export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

const LISTEN_HINTS: Record<string, string> = {
  EADDRINUSE: 'another process listens on that port (a second sidecar?)',
  EACCES: 'the port is below 1024 and the sidecar is not allowed to use it; pick a port above 1023',
  EADDRNOTAVAIL: 'that address is not one of this machine (use 0.0.0.0 for every address, 127.0.0.1 for this machine only)',
  ENOTFOUND: 'that host name does not resolve; give an IP address',
};

function listen(
  handler: http.RequestListener,
  at: { port: number; host: string; names: string },
  timeouts: http.ServerOptions,
  guard: (s: Server) => void,
): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const s = http.createServer(timeouts, handler);
    guard(s);
    s.once('error', (err: NodeJS.ErrnoException) => {
      const hint = LISTEN_HINTS[err.code ?? ''] ?? err.message;
      reject(new ListenError(`cannot listen on ${at.host}:${at.port} (${at.names}): ${err.code ?? 'error'}: ${hint}`));
    });
    s.listen(at.port, at.host, () => resolve(s));
  });
}

/** Calls through the shared connection; a broken connection is dropped so the next call reconnects. */
function odooCalls(connector: OdooConnector): () => Promise<OdooTransport> {
  return async () => {
    const odoo = await connector.get();
    return {
      kind: odoo.kind,
      call: async (model, method, params) => {
        try {
          return await odoo.call(model, method, params);
        } catch (err) {
          if (!isOdooError(err) || err.retryable) connector.reset();
          throw err;
        }
      },
    };
  };
}
