import cors from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyAddr from 'proxy-addr';
import getRawBody from 'raw-body';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { EnqueueResult, NewOutboxEvent } from '../outbox/eventQueue';
import type { SettingsSource } from '../settings/types';
import { unixSeconds } from '../tiktok/payload';
import { cleanIp, isBotUserAgent, isOriginAllowed, isPrefetch, requestOrigin } from './filters';
import { OutboxCap } from './outboxCap';
import { describeIssues } from '../contract/issues';
import { throttle } from '../throttle';
import { RelayRequestSchema, type RelayEvent } from '../contract/relay';
import { decideRelayEvent, refuse, type PlausibilityLimits, type RelayRefusal, type RelayRules } from './toOutbox';

export interface RelayOptions {
  path: string;
  maxBodyBytes: number;
  /** Requests per minute per client IP; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Events per minute per client IP, counted in the parsed body; 0 turns the limit off. */
  rateLimitEventsPerMinute: number;
  /** Time a client has to send its body once the headers are in. */
  bodyTimeoutMs: number;
  limits: PlausibilityLimits;
  /** Browser events waiting per pixel beyond which new ones are refused (503); 0 turns the cap off. */
  maxWaitingPerPixel: number;
  /** Origins accepted for every pixel, on top of each website's own domains. */
  extraAllowedOrigins: string[];
  /** express-style "trust proxy": false, a hop count, or addresses/subnets. */
  trustProxy: boolean | number | string[];
}

export interface RelayDeps {
  settings: SettingsSource;
  enqueue: (events: NewOutboxEvent[]) => Promise<EnqueueResult>;
  /** Waiting events of a pixel counted up to `limit` (EventQueue.waitingCount); needed when the cap is on. */
  waitingCount?: (pixelId: string, limit: number) => number;
  metrics: Metrics;
  log: Logger;
  /** False while shutting down: intake stops before the outbox is flushed. */
  isAccepting: () => boolean;
  clock?: () => number;
}

function countByPixel(events: NewOutboxEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.pixelId, (counts.get(e.pixelId) ?? 0) + 1);
  return counts;
}

export type RelayHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** When a browser should try again after the outbox refused to store its events. */
const OUTBOX_UNAVAILABLE_RETRY_SECONDS = 5;

/** What the relay sends back: a refusal, counted by its `error`, or another answer as it is. */
type RelayAnswer = RelayRefusal | { kind: 'answer'; status: number; body: Record<string, unknown> };

/** `consume` rejects with the limiter's state when the budget is spent; anything else is a real error. */
async function withinBudget(limiter: RateLimiterMemory | undefined, key: string, points: number): Promise<number | undefined> {
  if (!limiter) return undefined;
  try {
    await limiter.consume(key, points);
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw rejection;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

/** `trust proxy` as express understands it, compiled once for proxy-addr. */
export function compileTrust(trust: RelayOptions['trustProxy']): (addr: string, i: number) => boolean {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_addr, i) => i < trust;
  return proxyAddr.compile(trust);
}

/**
 * The relay endpoint on Node's own HTTP layer. It is the one hot path of the
 * sidecar (every shopper action lands here), so it skips the framework's router
 * and uses the same well-kept pieces express is built on (raw-body, proxy-addr,
 * cors) plus rate-limiter-flexible; express serves every other route.
 */
export function createRelayHandler(deps: RelayDeps, opts: RelayOptions): RelayHandler {
  const { metrics, log } = deps;
  const clock = deps.clock ?? Date.now;
  const trust = compileTrust(opts.trustProxy);
  const limiter = opts.rateLimitPerMinute > 0 ? new RateLimiterMemory({ points: opts.rateLimitPerMinute, duration: 60 }) : undefined;
  const eventLimiter = opts.rateLimitEventsPerMinute > 0 ? new RateLimiterMemory({ points: opts.rateLimitEventsPerMinute, duration: 60 }) : undefined;
  const rules: RelayRules = { limits: opts.limits, extraOrigins: opts.extraAllowedOrigins };
  if (opts.maxWaitingPerPixel > 0 && !deps.waitingCount) throw new Error('the outbox cap needs deps.waitingCount');
  const cap = new OutboxCap(deps.waitingCount ?? (() => 0), opts.maxWaitingPerPixel, clock);
  const shouldLog = throttle(60_000, clock);

  const allowedOriginsFor = (pixelId: string) => [...(deps.settings.byPixel(pixelId)?.domains ?? []), ...opts.extraAllowedOrigins];
  const allKnownOrigins = () => [...deps.settings.all().flatMap((s) => s.domains), ...opts.extraAllowedOrigins];

  // A relay URL on another host than the shop needs CORS; only shop origins get it.
  const corsForShops = cors({
    origin: (origin, callback) => callback(null, !!origin && isOriginAllowed(origin.toLowerCase(), allKnownOrigins())),
    methods: ['POST'],
    allowedHeaders: ['Content-Type'],
    maxAge: 600,
  });
  const applyCors = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => corsForShops(req, res, () => resolve()));

  function send(req: IncomingMessage, res: ServerResponse, a: RelayAnswer): void {
    if (a.kind === 'answer') return sendJson(res, a.status, a.body);
    metrics.refused.inc({ reason: a.error });
    // The trickling client loses its connection: nothing more is read from it (Node
    // ends and destroys the socket once a `Connection: close` answer is sent). Any
    // other refused body is drained so the connection stays usable.
    if (a.status === 408) res.setHeader('Connection', 'close');
    else req.resume();
    if (a.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(a.retryAfterSeconds));
    sendJson(res, a.status, { error: a.error, detail: a.detail });
  }

  async function readBody(req: IncomingMessage): Promise<string | RelayRefusal> {
    const reading = getRawBody(req, { limit: opts.maxBodyBytes, encoding: 'utf8', length: req.headers['content-length'] }).catch((err: unknown) =>
      (err as { type?: string }).type === 'entity.too.large'
        ? refuse(413, 'body_too_large', `the body is larger than ${opts.maxBodyBytes} bytes`)
        : refuse(400, 'bad_body', 'the body could not be read'),
    );
    // A client trickling its body would hold the socket and its buffers for minutes.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<RelayRefusal>((resolve) => {
      timer = setTimeout(() => resolve(refuse(408, 'body_timeout', `the body did not arrive within ${opts.bodyTimeoutMs} ms`)), opts.bodyTimeoutMs);
    });
    try {
      return await Promise.race([reading, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  function parseEvents(text: string): RelayEvent[] | RelayRefusal {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return refuse(400, 'malformed_json', 'the body is not valid JSON');
    }
    const result = RelayRequestSchema.safeParse(parsed);
    if (!result.success) return refuse(400, 'invalid_request', describeIssues(result.error));
    return Array.isArray(result.data) ? result.data : [result.data];
  }

  async function accept(req: IncomingMessage, ip: string | undefined): Promise<RelayAnswer> {
    const origin = requestOrigin(req.headers.origin, req.headers.referer);
    if (!origin) return refuse(403, 'missing_origin', 'the request carries no Origin or Referer of a shop page');
    const body = await readBody(req);
    if (typeof body !== 'string') return body;
    const events = parseEvents(body);
    if (!Array.isArray(events)) return events;
    const retryAfter = await withinBudget(eventLimiter, ip ?? 'unknown', events.length);
    if (retryAfter !== undefined) {
      return refuse(429, 'rate_limited', `more than ${opts.rateLimitEventsPerMinute} events a minute from this address`, retryAfter);
    }
    const ctx = { ip, userAgent: req.headers['user-agent'], nowSeconds: unixSeconds(clock()) };
    const toStore: NewOutboxEvent[] = [];
    let skipped = 0;
    for (const [i, event] of events.entries()) {
      const where = events.length > 1 ? `[${i}] ` : '';
      const settings = deps.settings.byPixel(event.pixel_id);
      if (settings && !isOriginAllowed(origin, allowedOriginsFor(event.pixel_id))) {
        return refuse(403, 'origin_not_allowed', `${where}origin ${origin} is not a domain of the website that owns pixel ${event.pixel_id}`);
      }
      const decision = decideRelayEvent(event, settings, ctx, rules);
      if (decision.kind === 'refuse') return { ...decision, detail: `${where}${decision.detail}` };
      if (decision.kind === 'skip') skipped += 1;
      else toStore.push(decision.event);
    }
    if (toStore.length === 0) return { kind: 'answer', status: 202, body: { accepted: 0, duplicates: 0, skipped } };
    const perPixel = countByPixel(toStore);
    for (const pixelId of perPixel.keys()) {
      if (!cap.isFull(pixelId)) continue;
      if (shouldLog(`full:${pixelId}`)) {
        log.warn({ pixelId, cap: cap.cap }, 'relay: the outbox holds the most events a pixel may have waiting; new browser events are refused until TikTok takes some');
      }
      return refuse(503, 'outbox_full', `pixel ${pixelId} has ${cap.cap} events waiting for TikTok; retry later`, 60);
    }
    let stored: EnqueueResult;
    try {
      stored = await deps.enqueue(toStore);
    } catch (err) {
      if (shouldLog('enqueue_failed')) log.error({ err }, 'relay: the outbox could not store events');
      // Counted with the refusals, and told when to come back: a full disk is rarely fixed within the second.
      return refuse(503, 'outbox_unavailable', 'events could not be stored; retry later', OUTBOX_UNAVAILABLE_RETRY_SECONDS);
    }
    for (const [pixelId, count] of perPixel) cap.noteStored(pixelId, count);
    for (const e of toStore) metrics.accepted.inc({ event: e.event });
    if (stored.duplicates) metrics.duplicates.inc(stored.duplicates);
    return { kind: 'answer', status: 202, body: { accepted: stored.inserted, duplicates: stored.duplicates, skipped } };
  }

  /** The answer to a request; only I/O failures (a thrown Error) end elsewhere. */
  async function decide(req: IncomingMessage): Promise<RelayAnswer> {
    if (req.method !== 'POST') return refuse(405, 'method_not_allowed', 'the relay accepts POST only');
    if (!deps.isAccepting()) return refuse(503, 'shutting_down', 'the sidecar is shutting down; retry shortly');
    if (isPrefetch(req.headers)) return refuse(403, 'prefetch', 'speculative (prefetch/prerender) requests are not tracked');
    if (isBotUserAgent(req.headers['user-agent'])) return refuse(403, 'bot', 'this user agent is a bot, crawler or automation tool');
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json' && contentType !== 'text/plain') {
      return refuse(415, 'unsupported_media_type', 'send JSON as application/json or text/plain');
    }
    const ip = cleanIp(proxyAddr(req, trust));
    const retryAfter = await withinBudget(limiter, ip ?? 'unknown', 1);
    if (retryAfter !== undefined) return refuse(429, 'rate_limited', `more than ${opts.rateLimitPerMinute} requests a minute from this address`, retryAfter);
    return accept(req, ip);
  }

  return (req, res) => {
    void (async () => {
      await applyCors(req, res);
      if (req.method === 'OPTIONS') {
        // cors answered a preflight of a shop origin; anything else gets an empty 204.
        if (!res.writableEnded) res.writeHead(204).end();
        return;
      }
      send(req, res, await decide(req));
    })().catch((err: unknown) => {
      log.error({ err }, 'relay: unexpected error');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', detail: 'unexpected error; the event was not stored' });
    });
  };
}
