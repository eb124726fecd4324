import cors from 'cors';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { EnqueueResult, NewOutboxEvent } from '../outbox/store';
import type { SettingsSource } from '../settings/types';
import { unixSeconds } from '../tiktok/payload';
import { cleanIp, isBotUserAgent, isOriginAllowed, isPrefetch, requestOrigin } from './filters';
import { describeIssues, RelayRequestSchema, type RelayEvent } from './schema';
import { decideRelayEvent } from './toOutbox';

export interface RelayOptions {
  path: string;
  maxBodyBytes: number;
  /** Requests per minute per client IP; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Origins accepted for every pixel, on top of each website's own domains. */
  extraAllowedOrigins: string[];
}

export interface RelayDeps {
  settings: SettingsSource;
  enqueue: (events: NewOutboxEvent[]) => Promise<EnqueueResult>;
  metrics: Metrics;
  log: Logger;
  /** False while shutting down: intake stops before the outbox is flushed. */
  isAccepting: () => boolean;
  clock?: () => number;
}

/** Every refusal answers 4xx with a machine code and a sentence; nothing is stored. */
function refuse(res: Response, metrics: Metrics, status: number, error: string, detail: string): void {
  metrics.refused.inc({ reason: error });
  res.status(status).json({ error, detail });
}

function allowedOriginsFor(pixelId: string, deps: RelayDeps, opts: RelayOptions): string[] {
  return [...(deps.settings.byPixel(pixelId)?.domains ?? []), ...opts.extraAllowedOrigins];
}

function allKnownOrigins(deps: RelayDeps, opts: RelayOptions): string[] {
  return [...deps.settings.all().flatMap((s) => s.domains), ...opts.extraAllowedOrigins];
}

export function createRelayRouter(deps: RelayDeps, opts: RelayOptions): Router {
  const { metrics, log } = deps;
  const clock = deps.clock ?? Date.now;
  const router = express.Router();

  // A relay URL on another host than the shop needs CORS; only shop origins get it.
  const corsForShops = cors({
    origin: (origin, callback) => callback(null, !!origin && isOriginAllowed(origin.toLowerCase(), allKnownOrigins(deps, opts))),
    methods: ['POST'],
    allowedHeaders: ['Content-Type'],
    maxAge: 600,
  });
  router.options(opts.path, corsForShops);

  const screen = (req: Request, res: Response, next: NextFunction) => {
    if (!deps.isAccepting()) return refuse(res, metrics, 503, 'shutting_down', 'the sidecar is shutting down; retry shortly');
    if (isPrefetch(req.headers)) return refuse(res, metrics, 403, 'prefetch', 'speculative (prefetch/prerender) requests are not tracked');
    if (isBotUserAgent(req.get('user-agent'))) return refuse(res, metrics, 403, 'bot', 'this user agent is a bot, crawler or automation tool');
    next();
  };

  const limiter =
    opts.rateLimitPerMinute > 0
      ? rateLimit({
          windowMs: 60_000,
          limit: opts.rateLimitPerMinute,
          standardHeaders: 'draft-7',
          legacyHeaders: false,
          handler: (_req, res) => refuse(res, metrics, 429, 'rate_limited', `more than ${opts.rateLimitPerMinute} requests a minute from this address`),
        })
      : (_req: Request, _res: Response, next: NextFunction) => next();

  // Beacons arrive as text/plain; fetch fallbacks as JSON. Parse both ourselves for one clear error.
  const body = express.text({ type: () => true, limit: opts.maxBodyBytes });

  const handle = async (req: Request, res: Response) => {
    const contentType = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json' && contentType !== 'text/plain') {
      return refuse(res, metrics, 415, 'unsupported_media_type', 'send JSON as application/json or text/plain');
    }
    const origin = requestOrigin(req.get('origin'), req.get('referer'));
    if (!origin) return refuse(res, metrics, 403, 'missing_origin', 'the request carries no Origin or Referer of a shop page');

    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof req.body === 'string' ? req.body : '');
    } catch {
      return refuse(res, metrics, 400, 'malformed_json', 'the body is not valid JSON');
    }
    const result = RelayRequestSchema.safeParse(parsed);
    if (!result.success) return refuse(res, metrics, 400, 'invalid_request', describeIssues(result.error));
    const events: RelayEvent[] = Array.isArray(result.data) ? result.data : [result.data];

    const ctx = { ip: cleanIp(req.ip), userAgent: req.get('user-agent'), nowSeconds: unixSeconds(clock()) };
    const toStore: NewOutboxEvent[] = [];
    let skipped = 0;
    for (const [i, event] of events.entries()) {
      const where = events.length > 1 ? `[${i}] ` : '';
      if (!isOriginAllowed(origin, allowedOriginsFor(event.pixel_id, deps, opts)) && deps.settings.byPixel(event.pixel_id)) {
        return refuse(res, metrics, 403, 'origin_not_allowed', `${where}origin ${origin} is not a domain of the website that owns pixel ${event.pixel_id}`);
      }
      const decision = decideRelayEvent(event, deps.settings.byPixel(event.pixel_id), ctx);
      if (decision.kind === 'refuse') return refuse(res, metrics, decision.status, decision.error, `${where}${decision.detail}`);
      if (decision.kind === 'skip') skipped += 1;
      else toStore.push(decision.event);
    }

    if (toStore.length === 0) return res.status(202).json({ accepted: 0, duplicates: 0, skipped });
    try {
      const stored = await deps.enqueue(toStore);
      for (const e of toStore) metrics.accepted.inc({ event: e.event });
      metrics.duplicates.inc(stored.duplicates);
      res.status(202).json({ accepted: stored.inserted, duplicates: stored.duplicates, skipped });
    } catch (err) {
      log.error({ err }, 'relay: the outbox could not store events');
      res.status(503).json({ error: 'outbox_unavailable', detail: 'events could not be stored; retry later' });
    }
  };

  router.post(opts.path, corsForShops, screen, limiter, body, handle);

  // Body parser errors (size, encoding) become clear 4xx answers instead of express's HTML page.
  router.use(opts.path, (err: { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (err?.type === 'entity.too.large') return refuse(res, metrics, 413, 'body_too_large', `the body is larger than ${opts.maxBodyBytes} bytes`);
    if (err?.status && err.status >= 400 && err.status < 500) return refuse(res, metrics, err.status, 'bad_body', 'the body could not be read');
    next(err);
  });
  return router;
}
