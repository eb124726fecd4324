/**
 * A local fake of the TikTok Events API v1.3 for tests and benchmarks.
 *
 * It serves `POST /open_api/v1.3/event/track/` the way TikTok answers it (HTTP 200
 * with `{code, message, request_id, data}`, code 0 on success), validates requests
 * strictly and independently of the sidecar, records what it receives and what it
 * accepts, and fails on demand: rate limiting (40100), rejected batches (40002),
 * bad tokens (40105), HTTP 5xx, slow answers and dropped connections.
 *
 * A few control routes under `/_fake/` let a process that started the fake
 * elsewhere (the CLI in `scripts/fake-events-api.ts`) be inspected and steered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { DEFAULT_MAX_EVENT_AGE_DAYS, validateTrackBody } from './eventsApiValidation';

export type FaultKind =
  | 'rate_limit' /* HTTP 200 {code:40100} */
  | 'invalid_param' /* 200 {code:40002} */
  | 'server_error' /* HTTP 500/502/503 */
  | 'slow' /* answers after slowMs */
  | 'drop' /* destroys the socket without answering */
  | 'bad_token'; /* 200 {code:40105} */

export const FAULT_KINDS: readonly FaultKind[] = ['rate_limit', 'invalid_param', 'server_error', 'slow', 'drop', 'bad_token'];

/** Random faults default to the transient ones: a client must retry through them and lose nothing. */
export const DEFAULT_RANDOM_FAULT_KINDS: readonly FaultKind[] = ['rate_limit', 'server_error', 'slow', 'drop'];

export interface FakeEventsApiOptions {
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** pixel → token. When set, a wrong Access-Token answers 40105 and an unknown pixel 40001. */
  tokens?: Record<string, string>;
  /** 0..1: share of requests that fail with a random kind from `faultKinds`. */
  faultRate?: number;
  faultKinds?: FaultKind[];
  /** Delay of a `slow` answer, default 2000 ms. */
  slowMs?: number;
  /** Seed of the PRNG that picks random faults, so a failing run can be replayed. */
  seed?: number;
  /** Oldest accepted event_time, default 7 days. */
  maxEventAgeDays?: number;
  /** Return a message to make TikTok reject the whole batch with 40002 naming that row. */
  rejectEvent?: (row: any) => string | undefined;
  /**
   * 'full' (default) keeps each delivered row as received; 'ids' keeps only event,
   * event_id and event_time, so a long benchmark does not hold every payload in memory.
   */
  retainRows?: 'full' | 'ids';
}

export interface RecordedRequest {
  at: number;
  pixelId?: string;
  testEventCode?: string;
  /** Body size in bytes. */
  size: number;
  /** Length of `data` when the body had one, else 0. */
  rows: number;
  /** HTTP status answered; 0 when the connection was dropped. */
  status: number;
  code?: number;
  message?: string;
  fault?: FaultKind;
  /** When the answer was sent; unset while a slow answer is pending, and when none was sent. */
  answeredAt?: number;
  /** The client closed the connection before the answer: nothing was answered nor delivered. */
  clientGone?: boolean;
}

export interface DeliveredEvent {
  pixelId: string;
  testEventCode?: string;
  /** The data[] row as received. */
  row: any;
  receivedAt: number;
}

export interface FakeEventsApi {
  /** e.g. http://127.0.0.1:PORT/open_api */
  baseUrl: string;
  requests: RecordedRequest[];
  delivered: DeliveredEvent[];
  /** The next `count` requests (default 1) fail this way, before any random fault. */
  enqueueFaults(kind: FaultKind, count?: number): void;
  setFaultRate(rate: number, kinds?: FaultKind[]): void;
  /** Forgets requests, deliveries and queued faults; restores the fault rate given at start. */
  reset(): void;
  close(): Promise<void>;
}

export const TRACK_PATH = '/open_api/v1.3/event/track/';
/** Far above any real batch (1,000 rows of a few hundred bytes): only guards the fake's memory. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_SLOW_MS = 2000;

export const CODES = {
  ok: 0,
  genericParameter: 40000,
  noPermission: 40001,
  invalidParameter: 40002,
  rateLimited: 40100,
  badToken: 40105,
} as const;

/** mulberry32: tiny, fast and good enough to pick faults reproducibly from a seed. */
export function createPrng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** TikTok's request ids start with a UTC timestamp followed by random hex. */
function newRequestId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  return stamp + randomBytes(10).toString('hex').toUpperCase();
}

export function clampRate(rate: number): number {
  if (!Number.isFinite(rate)) return 0;
  return Math.min(1, Math.max(0, rate));
}

interface Answer {
  status: number;
  code?: number;
  message?: string;
  /** Rows to append to `delivered` when the answer is sent. */
  accepted?: unknown[];
}

interface ParsedBody {
  json?: unknown;
  parseError?: string;
  pixelId?: string;
  testEventCode?: string;
  rows: number;
}

function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) {
    return { rows: 0, parseError: 'Content-Type must be application/json' };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { rows: 0, parseError: 'request body is not valid JSON' };
  }
  const obj = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
  return {
    json,
    pixelId: typeof obj.event_source_id === 'string' ? obj.event_source_id : undefined,
    testEventCode: typeof obj.test_event_code === 'string' ? obj.test_event_code : undefined,
    rows: Array.isArray(obj.data) ? obj.data.length : 0,
  };
}

function tokenHeader(req: http.IncomingMessage): string | undefined {
  const value = req.headers['access-token'];
  const token = Array.isArray(value) ? value[0] : value;
  return token && token.trim() ? token.trim() : undefined;
}

interface TrackContext {
  tokens?: Record<string, string>;
  maxEventAgeDays: number;
  rejectEvent?: (row: any) => string | undefined;
  nowMs: number;
}

/** The answer TikTok would give to a well-behaved (fault-free) request. */
export function answerTrack(token: string | undefined, parsed: ParsedBody, ctx: TrackContext): Answer {
  if (!token) return { status: 200, code: CODES.badToken, message: 'Access token is missing.' };
  if (parsed.parseError) return { status: 200, code: CODES.genericParameter, message: parsed.parseError };
  if (ctx.tokens && parsed.pixelId !== undefined) {
    const expected = ctx.tokens[parsed.pixelId];
    if (expected === undefined) {
      return { status: 200, code: CODES.noPermission, message: `No permission to access pixel ${parsed.pixelId}.` };
    }
    if (expected !== token) {
      return { status: 200, code: CODES.badToken, message: 'Access token is incorrect or has been revoked.' };
    }
  }
  const verdict = validateTrackBody(parsed.json, {
    nowSeconds: Math.floor(ctx.nowMs / 1000),
    maxEventAgeDays: ctx.maxEventAgeDays,
    rejectEvent: ctx.rejectEvent,
  });
  if (!verdict.ok) return { status: 200, code: CODES.invalidParameter, message: verdict.message };
  return { status: 200, code: CODES.ok, message: 'OK', accepted: (parsed.json as { data: unknown[] }).data };
}

/** The answer of an injected fault; `slow` and `drop` are handled by the transport. */
function answerFault(kind: FaultKind, random: () => number): Answer {
  switch (kind) {
    case 'rate_limit':
      return { status: 200, code: CODES.rateLimited, message: 'Too many requests. Please retry in some time.' };
    case 'invalid_param':
      return { status: 200, code: CODES.invalidParameter, message: 'Invalid parameter: data[0] was rejected.' };
    case 'bad_token':
      return { status: 200, code: CODES.badToken, message: 'Access token is incorrect or has been revoked.' };
    case 'server_error': {
      const statuses = [500, 502, 503];
      return { status: statuses[Math.floor(random() * statuses.length)], message: 'Service temporarily unavailable' };
    }
    case 'slow':
    case 'drop':
      throw new Error(`fault ${kind} has no answer of its own`);
  }
}

function identityOf(row: Record<string, unknown>): Record<string, unknown> {
  return { event: row.event, event_id: row.event_id, event_time: row.event_time };
}

function clientWentAway(res: http.ServerResponse): boolean {
  return res.destroyed || !res.socket || res.socket.destroyed;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<{ raw: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve({ raw: Buffer.concat(chunks), tooLarge }));
    req.on('error', reject);
  });
}

export async function startFakeEventsApi(opts: FakeEventsApiOptions = {}): Promise<FakeEventsApi> {
  const host = opts.host ?? '127.0.0.1';
  const slowMs = opts.slowMs ?? DEFAULT_SLOW_MS;
  const maxEventAgeDays = opts.maxEventAgeDays ?? DEFAULT_MAX_EVENT_AGE_DAYS;
  const initialRate = clampRate(opts.faultRate ?? 0);
  const initialKinds = [...(opts.faultKinds ?? DEFAULT_RANDOM_FAULT_KINDS)];

  let random = createPrng(opts.seed ?? 1);
  let faultRate = initialRate;
  let faultKinds = initialKinds;
  const faultQueue: FaultKind[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();

  const requests: RecordedRequest[] = [];
  const delivered: DeliveredEvent[] = [];

  function nextFault(): FaultKind | undefined {
    const queued = faultQueue.shift();
    if (queued) return queued;
    if (faultRate > 0 && faultKinds.length > 0 && random() < faultRate) {
      return faultKinds[Math.floor(random() * faultKinds.length)];
    }
    return undefined;
  }

  function enqueueFaults(kind: FaultKind, count = 1): void {
    if (!FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind: ${kind}`);
    for (let i = 0; i < count; i++) faultQueue.push(kind);
  }

  function setFaultRate(rate: number, kinds?: FaultKind[]): void {
    faultRate = clampRate(rate);
    if (kinds) {
      const unknown = kinds.filter((k) => !FAULT_KINDS.includes(k));
      if (unknown.length) throw new Error(`unknown fault kind: ${unknown.join(', ')}`);
      faultKinds = [...kinds];
    }
  }

  function reset(): void {
    requests.length = 0;
    delivered.length = 0;
    faultQueue.length = 0;
    faultRate = initialRate;
    faultKinds = [...initialKinds];
    random = createPrng(opts.seed ?? 1);
  }

  async function handleTrack(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const { raw, tooLarge } = await readBody(req);
    if (tooLarge) {
      requests.push({ at: receivedAt, size: MAX_BODY_BYTES, rows: 0, status: 413, message: 'Request entity too large' });
      sendJson(res, 413, { code: CODES.genericParameter, message: 'Request entity too large', request_id: newRequestId(new Date()), data: {} });
      return;
    }
    const parsed = parseBody(raw, req.headers['content-type']);
    const record: RecordedRequest = {
      at: receivedAt,
      pixelId: parsed.pixelId,
      testEventCode: parsed.testEventCode,
      size: raw.length,
      rows: parsed.rows,
      status: 0,
    };
    requests.push(record);

    const fault = nextFault();
    if (fault) record.fault = fault;
    if (fault === 'drop') {
      record.message = 'connection dropped';
      req.socket.destroy();
      return;
    }

    const answer =
      fault && fault !== 'slow'
        ? answerFault(fault, random)
        : answerTrack(tokenHeader(req), parsed, { tokens: opts.tokens, maxEventAgeDays, rejectEvent: opts.rejectEvent, nowMs: receivedAt });

    const respond = (): void => {
      // A client that went away (killed, timed out) never learns the outcome: TikTok's
      // acceptance of rows nobody saw accepted is not counted as a delivery.
      if (clientWentAway(res)) {
        record.clientGone = true;
        record.message = 'client went away before the answer';
        return;
      }
      record.status = answer.status;
      record.code = answer.code;
      record.message = answer.message;
      record.answeredAt = Date.now();
      if (answer.accepted) {
        const at = Date.now();
        for (const row of answer.accepted) {
          const kept = opts.retainRows === 'ids' ? identityOf(row as Record<string, unknown>) : row;
          delivered.push({ pixelId: parsed.pixelId as string, testEventCode: parsed.testEventCode, row: kept, receivedAt: at });
        }
      }
      if (answer.code === undefined) {
        // A gateway in front of TikTok answers 5xx with a non-JSON page: clients must cope with that.
        res.writeHead(answer.status, { 'Content-Type': 'text/html' });
        res.end(`<html><body><h1>${answer.status}</h1>${answer.message ?? ''}</body></html>`);
        return;
      }
      sendJson(res, answer.status, { code: answer.code, message: answer.message, request_id: newRequestId(new Date()), data: {} });
    };

    if (fault === 'slow') {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        respond();
      }, slowMs);
      pendingTimers.add(timer);
    } else {
      respond();
    }
  }

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const { raw } = await readBody(req);
    const route = `${req.method} ${url.pathname}`;
    try {
      switch (route) {
        case 'GET /_fake/stats':
          return sendJson(res, 200, summarize(api));
        case 'GET /_fake/delivered': {
          const offset = Math.max(0, Number(url.searchParams.get('offset') ?? 0) || 0);
          return sendJson(res, 200, { total: delivered.length, offset, events: delivered.slice(offset, offset + 10_000) });
        }
        case 'POST /_fake/reset':
          reset();
          return sendJson(res, 200, { ok: true });
        case 'POST /_fake/faults': {
          const body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
          if (typeof body.kind === 'string') enqueueFaults(body.kind, Number(body.count ?? 1));
          if (typeof body.rate === 'number') setFaultRate(body.rate, body.kinds);
          return sendJson(res, 200, { ok: true, queued: faultQueue.length, rate: faultRate, kinds: faultKinds });
        }
        default:
          return sendJson(res, 404, { error: 'not_found' });
      }
    } catch (err) {
      sendJson(res, 400, { error: 'bad_request', detail: (err as Error).message });
    }
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    let work: Promise<void>;
    if (url.pathname.startsWith('/_fake/')) {
      work = handleControl(req, res, url);
    } else if (url.pathname === TRACK_PATH) {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        sendJson(res, 405, { code: CODES.genericParameter, message: 'Method not allowed', request_id: newRequestId(new Date()), data: {} });
        return;
      }
      work = handleTrack(req, res);
    } else {
      sendJson(res, 404, { code: 40400, message: `No route for ${req.method} ${url.pathname}`, request_id: newRequestId(new Date()), data: {} });
      return;
    }
    work.catch(() => {
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { code: 50000, message: 'fake internal error' });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const api: FakeEventsApi = {
    baseUrl: `http://${urlHost}:${port}/open_api`,
    requests,
    delivered,
    enqueueFaults,
    setFaultRate,
    reset,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        pendingTimers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
  return api;
}

export interface FakeEventsApiSummary {
  requests: number;
  /** Requests answered code 0. */
  succeeded: number;
  faults: Partial<Record<FaultKind, number>>;
  /** Answers by TikTok code (or `http_<status>` for non-JSON answers, `dropped`, `client_gone`). */
  answers: Record<string, number>;
  deliveredRows: number;
  /** Distinct (pixel, event, event_id): what TikTok keeps after deduplication. */
  uniqueEvents: number;
  duplicateRows: number;
  /** Mean rows per accepted request. */
  rowsPerAcceptedRequest: number;
}

export function summarize(api: Pick<FakeEventsApi, 'requests' | 'delivered'>): FakeEventsApiSummary {
  const faults: Partial<Record<FaultKind, number>> = {};
  const answers: Record<string, number> = {};
  let succeeded = 0;
  let acceptedRows = 0;
  for (const r of api.requests) {
    if (r.fault) faults[r.fault] = (faults[r.fault] ?? 0) + 1;
    const key = r.clientGone ? 'client_gone' : r.status === 0 ? 'dropped' : r.code === undefined ? `http_${r.status}` : String(r.code);
    answers[key] = (answers[key] ?? 0) + 1;
    if (r.code === CODES.ok) {
      succeeded++;
      acceptedRows += r.rows;
    }
  }
  const unique = new Set(api.delivered.map((d) => `${d.pixelId}\u0000${d.row?.event}\u0000${d.row?.event_id}`));
  return {
    requests: api.requests.length,
    succeeded,
    faults,
    answers,
    deliveredRows: api.delivered.length,
    uniqueEvents: unique.size,
    duplicateRows: api.delivered.length - unique.size,
    rowsPerAcceptedRequest: succeeded ? Math.round((acceptedRows / succeeded) * 10) / 10 : 0,
  };
}
