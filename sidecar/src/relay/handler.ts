import cors from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyAddr from 'proxy-addr';
import getRawBody from 'raw-body';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import type { EnqueueResult, NewOutboxEvent } from '../outbox/eventQueue';
import type { CheckedOutboxEvent } from '../outbox/rowGate';
import type { SettingsSource, WebsiteSettings } from '../settings/types';
import { unixSeconds } from '../tiktok/payload';
import { allowedOrigins, cleanIp, isBotUserAgent, isPrefetch, requestOrigin } from './filters';
import { OutboxCap } from './outboxCap';
import { describeIssues } from '../contract/issues';
import { throttle } from '../throttle';
import { addressGroup } from '../connections';
import { RelayRequestSchema, type RelayEvent } from '../contract/relay';
import { decideRelayEvent, refuse, type PlausibilityLimits, type RelayRefusal, type RelayRules, type RequestContext } from './toOutbox';

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
  /** Into the outbox: only rows its gate checked (outbox/rowGate.ts). */
  enqueue: (events: CheckedOutboxEvent[]) => Promise<EnqueueResult>;
  /** Waiting events of a pixel counted up to `limit` (EventQueue.waitingCount); needed when the cap is on. */
  waitingCount?: (pixelId: string, limit: number) => Promise<number>;
  metrics: Metrics;
  log: Logger;
  /** False while shutting down: intake stops before the outbox is flushed. */
  isAccepting: () => boolean;
  clock?: () => number;
}

export type RelayHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** When a browser should try again after the outbox refused to store its events. */
const OUTBOX_UNAVAILABLE_RETRY_SECONDS = 5;

/** What the relay sends back: a refusal, counted by its `error`, or another answer as it is. */
export type RelayAnswer = RelayRefusal | { kind: 'answer'; status: number; body: Record<string, unknown> };

/** The events of a request the relay will store, and how many it skipped for want of consent. */
export interface RelayBatch {
  kind: 'batch';
  toStore: CheckedOutboxEvent[];
  skipped: number;
}

/**
 * What the relay builds once and every request reads: the dependencies, the
 * options, and what is compiled from them (trust, limiters, cap, rules).
 * The steps below are plain functions of it and of one request.
 */
export interface Relay {
  deps: RelayDeps;
  opts: RelayOptions;
  clock: () => number;
  trust: (addr: string, i: number) => boolean;
  requestLimiter?: RateLimiterMemory;
  eventLimiter?: RateLimiterMemory;
  rules: RelayRules;
  cap: OutboxCap;
  shouldLog: (key: string) => boolean;
}

export function createRelay(deps: RelayDeps, opts: RelayOptions): Relay {
  if (opts.maxWaitingPerPixel > 0 && !deps.waitingCount) throw new Error('the outbox cap needs deps.waitingCount');
  const clock = deps.clock ?? Date.now;
  const limiter = (points: number) => (points > 0 ? new RateLimiterMemory({ points, duration: 60 }) : undefined);
  return {
    deps,
    opts,
    clock,
    trust: compileTrust(opts.trustProxy),
    requestLimiter: limiter(opts.rateLimitPerMinute),
    eventLimiter: limiter(opts.rateLimitEventsPerMinute),
    rules: { limits: opts.limits, extraOrigins: opts.extraAllowedOrigins },
    cap: new OutboxCap(deps.waitingCount ?? (async () => 0), opts.maxWaitingPerPixel, clock),
    shouldLog: throttle(60_000, clock),
  };
}

/** `trust proxy` as express understands it, compiled once for proxy-addr. */
export function compileTrust(trust: RelayOptions['trustProxy']): (addr: string, i: number) => boolean {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_addr, i) => i < trust;
  return proxyAddr.compile(trust);
}

// ---- the steps of a request, in the order the relay takes them ----

/** Requests turned down on their headers alone: wrong method, shutting down, speculative loads, bots. */
export function headerRefusal(relay: Relay, req: IncomingMessage): RelayRefusal | undefined {
  if (req.method !== 'POST') return refuse(405, 'method_not_allowed', 'the relay accepts POST only');
  if (!relay.deps.isAccepting()) return refuse(503, 'shutting_down', 'the sidecar is shutting down; retry shortly');
  if (isPrefetch(req.headers)) return refuse(403, 'prefetch', 'speculative (prefetch/prerender) requests are not tracked');
  if (isBotUserAgent(req.headers['user-agent'])) return refuse(403, 'bot', 'this user agent is a bot, crawler or automation tool');
  return undefined;
}

/** JSON, as a fetch sends it (application/json) or a beacon (text/plain). */
export function contentTypeRefusal(contentTypeHeader: string | undefined): RelayRefusal | undefined {
  const contentType = (contentTypeHeader ?? '').split(';')[0].trim().toLowerCase();
  if (contentType === 'application/json' || contentType === 'text/plain') return undefined;
  return refuse(415, 'unsupported_media_type', 'send JSON as application/json or text/plain');
}

/** The client's address, through the proxies `trust proxy` names. */
export function clientIp(relay: Relay, req: IncomingMessage): string | undefined {
  return cleanIp(proxyAddr(req, relay.trust));
}

/** Seconds to wait when `limiter` has no `points` left for `key`; undefined when within budget. */
export async function overBudget(limiter: RateLimiterMemory, key: string, points: number): Promise<number | undefined> {
  try {
    await limiter.consume(key, points);
    return undefined;
  } catch (rejection) {
    // `consume` rejects with the limiter's state when the budget is spent; anything else is a real error.
    if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw rejection;
  }
}

/**
 * The refusal of a client whose budget of `limiter` is spent. Budgets are per client as
 * connections count them: an IPv6 /64 is one client, so rotating addresses inside it buys
 * no fresh budget. A limit that is off answers at once, without a promise: this runs twice
 * a request, and the client's address group is then not worked out at all.
 */
function budgetRefusal(limiter: RateLimiterMemory | undefined, ip: string | undefined, points: number, tooMany: string): Promise<RelayRefusal | undefined> | undefined {
  if (!limiter) return undefined;
  return overBudget(limiter, addressGroup(ip), points).then((retryAfter) =>
    retryAfter === undefined ? undefined : refuse(429, 'rate_limited', `more than ${tooMany} a minute from this address`, retryAfter),
  );
}

export function requestRateRefusal(relay: Relay, ip: string | undefined): Promise<RelayRefusal | undefined> | undefined {
  return budgetRefusal(relay.requestLimiter, ip, 1, `${relay.opts.rateLimitPerMinute} requests`);
}

export function eventRateRefusal(relay: Relay, ip: string | undefined, events: number): Promise<RelayRefusal | undefined> | undefined {
  return budgetRefusal(relay.eventLimiter, ip, events, `${relay.opts.rateLimitEventsPerMinute} events`);
}

/** The page the request comes from, or the refusal of a request that names none. */
export function pageOrigin(req: IncomingMessage): string | RelayRefusal {
  return requestOrigin(req.headers.origin, req.headers.referer) ?? refuse(403, 'missing_origin', 'the request carries no Origin or Referer of a shop page');
}

/** The body as text, within the size limit and the time a client has to send it. */
export function readBody(relay: Relay, req: IncomingMessage): Promise<string | RelayRefusal> {
  const { maxBodyBytes, bodyTimeoutMs } = relay.opts;
  return new Promise((resolve) => {
    // A client trickling its body would hold the socket and its buffers for minutes.
    const timer = setTimeout(() => resolve(refuse(408, 'body_timeout', `the body did not arrive within ${bodyTimeoutMs} ms`)), bodyTimeoutMs);
    getRawBody(req, { limit: maxBodyBytes, encoding: 'utf8', length: req.headers['content-length'] }, (err, text) => {
      clearTimeout(timer);
      if (!err) resolve(text);
      else if (err.type === 'entity.too.large') resolve(refuse(413, 'body_too_large', `the body is larger than ${maxBodyBytes} bytes`));
      else resolve(refuse(400, 'bad_body', 'the body could not be read'));
    });
  });
}

/** The events of a body: JSON, then the relay's contract (`contract/relay.ts`), the one check of their formats. */
export function parseEvents(text: string): RelayEvent[] | RelayRefusal {
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

/** Whether a page of `origin` may send events of the pixel of `settings`. */
export function isShopOrigin(relay: Relay, origin: string, settings: WebsiteSettings): boolean {
  return allowedOrigins(settings.domains).has(origin) || allowedOrigins(relay.opts.extraAllowedOrigins).has(origin);
}

/** Whether an origin belongs to any website (CORS: only shop pages may read the relay's answers). */
export function isKnownOrigin(relay: Relay, origin: string): boolean {
  if (allowedOrigins(relay.opts.extraAllowedOrigins).has(origin)) return true;
  for (const website of relay.deps.settings.all()) if (allowedOrigins(website.domains).has(origin)) return true;
  return false;
}

/**
 * Each event in turn: its page's origin against the pixel's website, then its
 * own decision (`decideRelayEvent`: pixel, event, amounts, consent, row). The
 * first refusal refuses the request, named by the event's place in a list.
 */
export function decideEvents(relay: Relay, origin: string, events: RelayEvent[], ctx: RequestContext): RelayBatch | RelayRefusal {
  const toStore: CheckedOutboxEvent[] = [];
  let skipped = 0;
  for (let i = 0; i < events.length; i += 1) {
    const event = events[i];
    const where = events.length > 1 ? `[${i}] ` : '';
    const settings = relay.deps.settings.byPixel(event.pixel_id);
    if (settings && !isShopOrigin(relay, origin, settings)) {
      return refuse(403, 'origin_not_allowed', `${where}origin ${origin} is not a domain of the website that owns pixel ${event.pixel_id}`);
    }
    const decision = decideRelayEvent(event, settings, ctx, relay.rules);
    if (decision.kind === 'refuse') return { ...decision, detail: `${where}${decision.detail}` };
    if (decision.kind === 'skip') skipped += 1;
    else toStore.push(decision.event);
  }
  return { kind: 'batch', toStore, skipped };
}

function countByPixel(events: NewOutboxEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.pixelId, (counts.get(e.pixelId) ?? 0) + 1);
  return counts;
}

/** The refusal of a batch one of whose pixels already has the most events it may have waiting. */
export async function outboxFullRefusal(relay: Relay, perPixel: ReadonlyMap<string, number>): Promise<RelayRefusal | undefined> {
  for (const pixelId of perPixel.keys()) {
    if (!(await relay.cap.isFull(pixelId))) continue;
    if (relay.shouldLog(`full:${pixelId}`)) {
      relay.deps.log.warn({ pixelId, cap: relay.cap.cap }, 'relay: the outbox holds the most events a pixel may have waiting; new browser events are refused until TikTok takes some');
    }
    return refuse(503, 'outbox_full', `pixel ${pixelId} has ${relay.cap.cap} events waiting for TikTok; retry later`, 60);
  }
  return undefined;
}

/** The batch into the outbox, counted; the answer names what was stored. */
export async function store(relay: Relay, batch: RelayBatch): Promise<RelayAnswer> {
  const { toStore, skipped } = batch;
  if (toStore.length === 0) return { kind: 'answer', status: 202, body: { accepted: 0, duplicates: 0, skipped } };
  const perPixel = countByPixel(toStore);
  const full = await outboxFullRefusal(relay, perPixel);
  if (full) return full;
  const { deps } = relay;
  let stored: EnqueueResult;
  try {
    stored = await deps.enqueue(toStore);
  } catch (err) {
    if (relay.shouldLog('enqueue_failed')) deps.log.error({ err }, 'relay: the outbox could not store events');
    // Counted with the refusals, and told when to come back: a full disk is rarely fixed within the second.
    return refuse(503, 'outbox_unavailable', 'events could not be stored; retry later', OUTBOX_UNAVAILABLE_RETRY_SECONDS);
  }
  for (const [pixelId, count] of perPixel) relay.cap.noteStored(pixelId, count);
  for (const e of toStore) deps.metrics.accepted.inc({ event: e.event });
  if (stored.duplicates) deps.metrics.duplicates.inc(stored.duplicates);
  return { kind: 'answer', status: 202, body: { accepted: stored.inserted, duplicates: stored.duplicates, skipped } };
}

/** The answer to a request; only I/O failures (a thrown Error) end elsewhere. */
export async function decide(relay: Relay, req: IncomingMessage): Promise<RelayAnswer> {
  const early = headerRefusal(relay, req) ?? contentTypeRefusal(req.headers['content-type']);
  if (early) return early;
  const ip = clientIp(relay, req);
  // A budget that is off is no promise, and awaiting nothing would still cost a turn.
  const requestBudget = requestRateRefusal(relay, ip);
  const tooManyRequests = requestBudget && (await requestBudget);
  if (tooManyRequests) return tooManyRequests;
  const origin = pageOrigin(req);
  if (typeof origin !== 'string') return origin;
  const body = await readBody(relay, req);
  if (typeof body !== 'string') return body;
  const events = parseEvents(body);
  if (!Array.isArray(events)) return events;
  const eventBudget = eventRateRefusal(relay, ip, events.length);
  const tooManyEvents = eventBudget && (await eventBudget);
  if (tooManyEvents) return tooManyEvents;
  const batch = decideEvents(relay, origin, events, { ip, userAgent: req.headers['user-agent'], nowSeconds: unixSeconds(relay.clock()), gpc: req.headers['sec-gpc'] === '1' });
  if (batch.kind === 'refuse') return batch;
  return store(relay, batch);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

export function sendAnswer(relay: Relay, req: IncomingMessage, res: ServerResponse, a: RelayAnswer): void {
  if (a.kind === 'answer') return sendJson(res, a.status, a.body);
  relay.deps.metrics.refused.inc({ reason: a.error });
  // The trickling client loses its connection: nothing more is read from it (Node
  // ends and destroys the socket once a `Connection: close` answer is sent). Any
  // other refused body is drained so the connection stays usable.
  if (a.status === 408) res.setHeader('Connection', 'close');
  else req.resume();
  if (a.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(a.retryAfterSeconds));
  sendJson(res, a.status, { error: a.error, detail: a.detail });
}

/**
 * The relay endpoint on Node's own HTTP layer. It is the one hot path of the
 * sidecar (every shopper action lands here), so it skips the framework's router
 * and uses the same well-kept pieces express is built on (raw-body, proxy-addr,
 * cors) plus rate-limiter-flexible; express serves every other route.
 */
export function createRelayHandler(deps: RelayDeps, opts: RelayOptions): RelayHandler {
  const relay = createRelay(deps, opts);
  // A relay URL on another host than the shop needs CORS; only shop origins get it.
  const corsForShops = cors({
    origin: (origin, callback) => callback(null, !!origin && isKnownOrigin(relay, origin.toLowerCase())),
    methods: ['POST'],
    allowedHeaders: ['Content-Type'],
    maxAge: 600,
  });
  const failed = (res: ServerResponse, err: unknown) => {
    deps.log.error({ err }, 'relay: unexpected error');
    if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', detail: 'unexpected error; the event was not stored' });
  };
  return (req, res) => {
    try {
      // cors calls back at once, except for a preflight of a shop origin, which it answers itself.
      corsForShops(req, res, () => {
        // Any other preflight gets an empty 204.
        if (req.method === 'OPTIONS') res.writeHead(204).end();
        else
          decide(relay, req)
            .then((a) => sendAnswer(relay, req, res, a))
            .catch((err: unknown) => failed(res, err));
      });
    } catch (err) {
      failed(res, err);
    }
  };
}
