import express, { type Express } from 'express';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { runMode, type Env } from './config';
import { Dispatcher } from './dispatcher/dispatcher';
import { createLogger } from './log';
import { Metrics } from './metrics';
import { GroupCommitWriter } from './outbox/groupCommit';
import { SqliteOutboxStore, type OutboxStore } from './outbox/store';
import { createRelayHandler } from './relay/handler';
import { settingsFromEnv, StaticSettings } from './settings/static';
import type { SettingsSource } from './settings/types';
import { HttpEventsApiClient, type EventsApiClient } from './tiktok/client';
import { OdooConnector } from './odoo/connector';
import type { OdooTransport } from './odoo/types';
import { isOdooError } from './odoo/errors';
import { OdooSettingsSource } from './settings/odoo';
import { PurchasePoller } from './poller/purchasePoller';

export interface SidecarParts {
  log?: Logger;
  /** Replaces the Odoo connection made from ODOO_* variables (tests). */
  odoo?: () => Promise<OdooTransport>;
  settings?: SettingsSource;
  store?: OutboxStore;
  client?: EventsApiClient;
  metrics?: Metrics;
}

export interface Sidecar {
  /** Operations endpoints (health, metrics). */
  app: Express;
  /** The whole HTTP surface: the relay path, then everything else through `app`. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  store: OutboxStore;
  dispatcher: Dispatcher;
  poller?: PurchasePoller;
  settings: SettingsSource;
  metrics: Metrics;
  log: Logger;
  /** Listen and start delivering; resolves with the bound port. */
  start(): Promise<number>;
  /** Stop intake, deliver what is due within the grace period, close the outbox. */
  stop(): Promise<void>;
}

/** Wire the parts together. Every part can be replaced (tests, Odoo-driven settings). */
export function createSidecar(cfg: Env, parts: SidecarParts = {}): Sidecar {
  const log = parts.log ?? createLogger(cfg.LOG_LEVEL);
  const metrics = parts.metrics ?? new Metrics({ defaultMetrics: true });
  const store = parts.store ?? new SqliteOutboxStore(cfg.OUTBOX_PATH, { synchronous: cfg.OUTBOX_SYNC });
  const connector =
    cfg.ODOO_URL && !parts.odoo
      ? new OdooConnector(
          { url: cfg.ODOO_URL, db: cfg.ODOO_DB, login: cfg.ODOO_LOGIN ?? '', apiKey: cfg.ODOO_API_KEY ?? '', transport: cfg.ODOO_TRANSPORT },
          log,
        )
      : undefined;
  const odoo = parts.odoo ?? (connector ? odooCalls(connector) : undefined);
  const odooSettings = odoo && !parts.settings ? new OdooSettingsSource(odoo, log, cfg.SETTINGS_REFRESH_SECONDS * 1000, store) : undefined;
  const settings = parts.settings ?? odooSettings ?? new StaticSettings(settingsFromEnv(cfg));
  const client = parts.client ?? new HttpEventsApiClient({ baseUrl: cfg.TIKTOK_API_BASE_URL, timeoutMs: cfg.TIKTOK_TIMEOUT_MS });
  metrics.watchOutbox(store);

  const dispatcher = new Dispatcher(
    { store, client, settings, metrics, log },
    {
      maxBatchSize: cfg.DISPATCH_MAX_BATCH,
      lingerMs: cfg.DISPATCH_LINGER_MS,
      maxConcurrentRequests: cfg.DISPATCH_CONCURRENCY,
      backoff: { baseMs: cfg.RETRY_BASE_MS, maxMs: cfg.RETRY_MAX_MS },
      pause: { baseMs: cfg.LANE_PAUSE_BASE_MS, maxMs: cfg.LANE_PAUSE_MAX_MS },
      idleMs: 1000,
    },
  );
  const writer = new GroupCommitWriter(store, Date.now, () => dispatcher.wake());
  const poller = odoo
    ? new PurchasePoller(
        { odoo, settings, store, log, onEnqueued: () => dispatcher.wake() },
        { intervalMs: cfg.POLL_INTERVAL_SECONDS * 1000, leaseSeconds: cfg.PURCHASE_LEASE_SECONDS, batchSize: 50, maxBackoffMs: 60_000 },
      )
    : undefined;
  let accepting = true;

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', cfg.TRUST_PROXY);
  app.set('etag', false);
  const relay = createRelayHandler(
    { settings, enqueue: (events) => writer.enqueue(events), metrics, log, isAccepting: () => accepting },
    {
      path: cfg.RELAY_PATH,
      maxBodyBytes: cfg.RELAY_MAX_BODY_BYTES,
      rateLimitPerMinute: cfg.RELAY_RATE_LIMIT_PER_MINUTE,
      extraAllowedOrigins: cfg.RELAY_ALLOWED_ORIGINS,
      trustProxy: cfg.TRUST_PROXY,
    },
  );
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === cfg.RELAY_PATH) relay(req, res);
    else app(req, res);
  };
  app.get('/healthz', (_req, res) => {
    const outbox = store.counts();
    const { rss, heapUsed } = process.memoryUsage();
    res.status(accepting ? 200 : 503).json({
      status: accepting ? 'ok' : 'stopping',
      mode: runMode(cfg),
      pixels: settings.all().length,
      outbox,
      memoryMb: { rss: Math.round(rss / 2 ** 20), heapUsed: Math.round(heapUsed / 2 ** 20) },
    });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use((_req, res) => res.status(404).json({ error: 'not_found', detail: 'no such endpoint' }));

  let server: Server | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  const retentionMs = cfg.OUTBOX_RETENTION_HOURS * 3600_000;

  return {
    app,
    handler,
    store,
    dispatcher,
    poller,
    settings,
    metrics,
    log,
    async start() {
      dispatcher.start();
      odooSettings?.start();
      poller?.start();
      const prune = () => {
        const removed = store.prune(Date.now() - retentionMs);
        if (removed) log.info({ removed }, 'outbox: delivered events past retention removed');
      };
      prune();
      pruneTimer = setInterval(prune, Math.min(retentionMs, 3600_000));
      pruneTimer.unref();
      server = await new Promise<Server>((resolve, reject) => {
        const s = http.createServer(handler);
        s.once('error', reject);
        s.listen(cfg.RELAY_PORT, cfg.RELAY_HOST, () => resolve(s));
      });
      server.keepAliveTimeout = 65_000;
      return (server.address() as AddressInfo).port;
    },
    async stop() {
      accepting = false;
      if (pruneTimer) clearInterval(pruneTimer);
      odooSettings?.stop();
      await poller?.stop();
      const closed = server ? new Promise<void>((resolve) => server!.close(() => resolve())) : Promise.resolve();
      server?.closeIdleConnections();
      writer.flush();
      await dispatcher.stop(cfg.SHUTDOWN_GRACE_MS);
      server?.closeAllConnections();
      await closed;
      // Report what TikTok settled during the flush, so Odoo does not hand it out again.
      await poller?.reportSettled().catch(() => undefined);
      connector?.close();
      store.close();
    },
  };
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
    } as OdooTransport;
  };
}
