import cors from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyAddr from 'proxy-addr';
import getRawBody from 'raw-body';
import { RateLimiterMemory } from 'rate-limiter-flexible';
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
  /** express-style "trust proxy": false, a hop count, or addresses/subnets. */
  trustProxy: boolean | number | string[];
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

export type RelayHandler = (req: IncomingMessage, res: ServerResponse) => void;

class Refusal {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly detail: string,
  ) {}
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

/** `trust proxy` as express understands it, compiled once for proxy-addr. */
function compileTrust(trust: RelayOptions['trustProxy']): (addr: string, i: number) => boolean {
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
    new Promise<void>((resolve) => corsForShops(req as never, res as never, () => resolve()));

  function refuse(res: ServerResponse, r: Refusal): void {
    metrics.refused.inc({ reason: r.error });
    sendJson(res, r.status, { error: r.error, detail: r.detail });
  }

  function screen(req: IncomingMessage): Refusal | undefined {
    if (!deps.isAccepting()) return new Refusal(503, 'shutting_down', 'the sidecar is shutting down; retry shortly');
    if (isPrefetch(req.headers)) return new Refusal(403, 'prefetch', 'speculative (prefetch/prerender) requests are not tracked');
    if (isBotUserAgent(req.headers['user-agent'])) return new Refusal(403, 'bot', 'this user agent is a bot, crawler or automation tool');
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json' && contentType !== 'text/plain') {
      return new Refusal(415, 'unsupported_media_type', 'send JSON as application/json or text/plain');
    }
    return undefined;
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    try {
      return await getRawBody(req, { limit: opts.maxBodyBytes, encoding: 'utf8', length: req.headers['content-length'] });
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type === 'entity.too.large') throw new Refusal(413, 'body_too_large', `the body is larger than ${opts.maxBodyBytes} bytes`);
      throw new Refusal(400, 'bad_body', 'the body could not be read');
    }
  }

  function parseEvents(text: string): RelayEvent[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Refusal(400, 'malformed_json', 'the body is not valid JSON');
    }
    const result = RelayRequestSchema.safeParse(parsed);
    if (!result.success) throw new Refusal(400, 'invalid_request', describeIssues(result.error));
    return Array.isArray(result.data) ? result.data : [result.data];
  }

  async function accept(req: IncomingMessage, res: ServerResponse, ip: string | undefined): Promise<void> {
    const origin = requestOrigin(req.headers.origin, req.headers.referer);
    if (!origin) throw new Refusal(403, 'missing_origin', 'the request carries no Origin or Referer of a shop page');
    const events = parseEvents(await readBody(req));
    const ctx = { ip, userAgent: req.headers['user-agent'], nowSeconds: unixSeconds(clock()) };
    const toStore: NewOutboxEvent[] = [];
    let skipped = 0;
    for (const [i, event] of events.entries()) {
      const where = events.length > 1 ? `[${i}] ` : '';
      const settings = deps.settings.byPixel(event.pixel_id);
      if (settings && !isOriginAllowed(origin, allowedOriginsFor(event.pixel_id))) {
        throw new Refusal(403, 'origin_not_allowed', `${where}origin ${origin} is not a domain of the website that owns pixel ${event.pixel_id}`);
      }
      const decision = decideRelayEvent(event, settings, ctx);
      if (decision.kind === 'refuse') throw new Refusal(decision.status, decision.error, `${where}${decision.detail}`);
      if (decision.kind === 'skip') skipped += 1;
      else toStore.push(decision.event);
    }
    if (toStore.length === 0) return sendJson(res, 202, { accepted: 0, duplicates: 0, skipped });
    let stored: EnqueueResult;
    try {
      stored = await deps.enqueue(toStore);
    } catch (err) {
      log.error({ err }, 'relay: the outbox could not store events');
      return sendJson(res, 503, { error: 'outbox_unavailable', detail: 'events could not be stored; retry later' });
    }
    for (const e of toStore) metrics.accepted.inc({ event: e.event });
    if (stored.duplicates) metrics.duplicates.inc(stored.duplicates);
    sendJson(res, 202, { accepted: stored.inserted, duplicates: stored.duplicates, skipped });
  }

  return (req, res) => {
    void (async () => {
      await applyCors(req, res);
      if (req.method === 'OPTIONS') {
        // cors answered a preflight of a shop origin; anything else gets an empty 204.
        if (!res.writableEnded) res.writeHead(204).end();
        return;
      }
      if (req.method !== 'POST') return refuse(res, new Refusal(405, 'method_not_allowed', 'the relay accepts POST only'));
      const early = screen(req);
      if (early) return refuse(res, early);
      const ip = cleanIp(proxyAddr(req, trust));
      if (limiter) {
        try {
          await limiter.consume(ip ?? 'unknown');
        } catch {
          res.setHeader('Retry-After', '60');
          return refuse(res, new Refusal(429, 'rate_limited', `more than ${opts.rateLimitPerMinute} requests a minute from this address`));
        }
      }
      await accept(req, res, ip);
    })().catch((err: unknown) => {
      if (err instanceof Refusal) {
        // Drain what is left of a refused body so the connection stays usable.
        req.resume();
        return refuse(res, err);
      }
      log.error({ err }, 'relay: unexpected error');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', detail: 'unexpected error; the event was not stored' });
    });
  };
}
