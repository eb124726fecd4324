/**
 * A local fake of the TikTok Events API v1.3 for tests and benchmarks.
 *
 * It serves `POST /open_api/v1.3/event/track/` the way TikTok answers it (HTTP 200
 * with `{code, message, request_id, data}`, code 0 on success), validates requests
 * strictly and independently of the sidecar, records what it receives and what it
 * accepts, and fails on demand: rate limiting (40100), rejected batches (40002),
 * bad (40105) and expired (40104) tokens, a busy TikTok (40700), partial success
 * (20001 naming failed events in `data`), HTTP 5xx, an HTML 404 (a wrong path)
 * and 413 (a body limit), slow answers and dropped connections. A fault can be
 * made sticky (every request, e.g. 40002 to every call) and bodies above a number
 * of rows refused with 413, as a proxy with a body limit would.
 *
 * A few control routes under `/_fake/` let a process that started the fake
 * elsewhere (the CLI in `scripts/fakeEventsApiServer.ts`) be inspected and steered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { DEFAULT_MAX_EVENT_AGE_DAYS, validateTrackBody, validateTrackRows, type RowRefusal } from './eventsApiValidation';

export type FaultKind =
  | 'rate_limit' /* HTTP 200 {code:40100} */
  | 'invalid_param' /* 200 {code:40002}, the same message every time */
  | 'server_error' /* HTTP 500/502/503 */
  | 'slow' /* answers after slowMs */
  | 'drop' /* destroys the socket without answering */
  | 'bad_token' /* 200 {code:40105} */
  | 'token_expired' /* 200 {code:40104} */
  | 'busy' /* 200 {code:40700} */
  | 'not_found_html' /* HTTP 404 with an HTML page, as a wrong path gets */
  | 'too_large_html' /* HTTP 413 with an HTML page, as a proxy's body limit answers */
  | 'partial_failure'; /* 200 {code:20001}: data[0] named failed in data.failed_events, the other rows accepted */

export const FAULT_KINDS: readonly FaultKind[] = [
  'rate_limit',
  'invalid_param',
  'server_error',
  'slow',
  'drop',
  'bad_token',
  'token_expired',
  'busy',
  'not_found_html',
  'too_large_html',
  'partial_failure',
];

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
   * How refused rows (validation, `rejectEvent`) are answered: 'batch' (default)
   * fails the whole batch with 40002; 'partial' answers 20001 listing each refused
   * row in `data.failed_events` ({index, event_id, code: 40002, message}) and
   * accepts the others. Problems of the envelope always fail the whole batch.
   */
  rejectMode?: 'batch' | 'partial';
  /** Every request fails with this fault (after queued ones) until `setStickyFault()` clears it. */
  stickyFault?: FaultKind;
  /** Bodies with more rows than this answer HTTP 413 with an HTML page, before any fault. */
  maxRows?: number;
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
  /** The request's top-level `partner_name` (the platform that sent it). */
  partnerName?: string;
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
  /** The request's event_source_id: a pixel code, or a CRM / Offline Event Set id. */
  pixelId: string;
  /** The request's event_source: web, crm or offline. */
  eventSource: string;
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
  /** Every request fails this way (after queued faults) until called without a kind. */
  setStickyFault(kind?: FaultKind): void;
  /** Bodies with more rows than `rows` answer 413 (HTML); undefined lifts the limit. */
  setMaxRows(rows?: number): void;
  setFaultRate(rate: number, kinds?: FaultKind[]): void;
  /** Forgets requests, deliveries and queued faults; restores the fault rate, sticky fault and row limit given at start. */
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
  tokenExpired: 40104,
  badToken: 40105,
  busy: 40700,
  partialSuccess: 20001,
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
  /** The `data` of a JSON answer (default `{}`). */
  data?: unknown;
  /** Without a code: the body of the non-JSON answer (default: a gateway's error page). */
  html?: string;
}

/** What a front server (nginx) answers for a path it does not serve, or a body above its limit. */
export function htmlErrorPage(status: number, title: string): string {
  return `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

interface ParsedBody {
  json?: unknown;
  parseError?: string;
  pixelId?: string;
  eventSource?: string;
  testEventCode?: string;
  partnerName?: string;
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
    eventSource: typeof obj.event_source === 'string' ? obj.event_source : undefined,
    testEventCode: typeof obj.test_event_code === 'string' ? obj.test_event_code : undefined,
    partnerName: typeof obj.partner_name === 'string' ? obj.partner_name : undefined,
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
  rejectMode?: 'batch' | 'partial';
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
  const validation = {
    nowSeconds: Math.floor(ctx.nowMs / 1000),
    maxEventAgeDays: ctx.maxEventAgeDays,
    rejectEvent: ctx.rejectEvent,
  };
  if (ctx.rejectMode === 'partial') {
    const verdict = validateTrackRows(parsed.json, validation);
    if (!verdict.ok) return { status: 200, code: CODES.invalidParameter, message: verdict.message };
    const rows = (parsed.json as { data: unknown[] }).data;
    if (verdict.refused.length === 0) return { status: 200, code: CODES.ok, message: 'OK', accepted: rows };
    return partialAnswer(rows, verdict.refused);
  }
  const verdict = validateTrackBody(parsed.json, validation);
  if (!verdict.ok) return { status: 200, code: CODES.invalidParameter, message: verdict.message };
  return { status: 200, code: CODES.ok, message: 'OK', accepted: (parsed.json as { data: unknown[] }).data };
}

/** 20001 naming the refused rows in `data.failed_events`; the other rows are accepted. */
function partialAnswer(rows: unknown[], refused: RowRefusal[]): Answer {
  const failedIndexes = new Set(refused.map((r) => r.index));
  const failed_events = refused.map((r) => ({
    index: r.index,
    event_id: (rows[r.index] as { event_id?: unknown })?.event_id,
    code: CODES.invalidParameter,
    message: r.message,
  }));
  return {
    status: 200,
    code: CODES.partialSuccess,
    message: `Partial success: ${refused.length} of ${rows.length} events failed.`,
    accepted: rows.filter((_, i) => !failedIndexes.has(i)),
    data: { failed_events },
  };
}

/**
 * The answer of an injected fault; `slow` and `drop` are handled by the transport.
 * `fair` is the answer the request would get without a fault (for `partial_failure`).
 */
function answerFault(kind: FaultKind, random: () => number, fair: () => Answer, rows: unknown[]): Answer {
  switch (kind) {
    case 'rate_limit':
      return { status: 200, code: CODES.rateLimited, message: 'Too many requests. Please retry in some time.' };
    case 'invalid_param':
      return { status: 200, code: CODES.invalidParameter, message: 'Invalid parameter: data[0] was rejected.' };
    case 'bad_token':
      return { status: 200, code: CODES.badToken, message: 'Access token is incorrect or has been revoked.' };
    case 'token_expired':
      return { status: 200, code: CODES.tokenExpired, message: 'Access token has expired.' };
    case 'busy':
      return { status: 200, code: CODES.busy, message: 'The system is busy. Please retry later.' };
    case 'server_error': {
      const statuses = [500, 502, 503];
      return { status: statuses[Math.floor(random() * statuses.length)], message: 'Service temporarily unavailable' };
    }
    case 'not_found_html':
      return { status: 404, message: 'Not Found', html: htmlErrorPage(404, 'Not Found') };
    case 'too_large_html':
      return { status: 413, message: 'Request Entity Too Large', html: htmlErrorPage(413, 'Request Entity Too Large') };
    case 'partial_failure': {
      // Only a request TikTok would accept can be a partial success.
      const answer = fair();
      if (answer.code !== CODES.ok || rows.length === 0) return answer;
      return partialAnswer(rows, [{ index: 0, message: 'Invalid parameter: data[0] was rejected.' }]);
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
  checkFaultKinds(opts.stickyFault ? [opts.stickyFault] : []);
  checkMaxRows(opts.maxRows);

  let random = createPrng(opts.seed ?? 1);
  let faultRate = initialRate;
  let faultKinds = initialKinds;
  let stickyFault = opts.stickyFault;
  let maxRows = opts.maxRows;
  const faultQueue: FaultKind[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();

  const requests: RecordedRequest[] = [];
  const delivered: DeliveredEvent[] = [];

  function nextFault(): FaultKind | undefined {
    const queued = faultQueue.shift();
    if (queued) return queued;
    if (stickyFault) return stickyFault;
    if (faultRate > 0 && faultKinds.length > 0 && random() < faultRate) {
      return faultKinds[Math.floor(random() * faultKinds.length)];
    }
    return undefined;
  }

  function enqueueFaults(kind: FaultKind, count = 1): void {
    checkFaultKinds([kind]);
    for (let i = 0; i < count; i++) faultQueue.push(kind);
  }

  function setStickyFault(kind?: FaultKind): void {
    if (kind !== undefined) checkFaultKinds([kind]);
    stickyFault = kind;
  }

  function setMaxRows(rows?: number): void {
    checkMaxRows(rows);
    maxRows = rows;
  }

  function setFaultRate(rate: number, kinds?: FaultKind[]): void {
    faultRate = clampRate(rate);
    if (kinds) {
      checkFaultKinds(kinds);
      faultKinds = [...kinds];
    }
  }

  function reset(): void {
    requests.length = 0;
    delivered.length = 0;
    faultQueue.length = 0;
    faultRate = initialRate;
    faultKinds = [...initialKinds];
    stickyFault = opts.stickyFault;
    maxRows = opts.maxRows;
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
      partnerName: parsed.partnerName,
      size: raw.length,
      rows: parsed.rows,
      status: 0,
    };
    requests.push(record);

    if (maxRows !== undefined && parsed.rows > maxRows) {
      // A front server's body limit: TikTok never sees the request.
      record.status = 413;
      record.message = 'Request Entity Too Large';
      res.writeHead(413, { 'Content-Type': 'text/html' });
      res.end(htmlErrorPage(413, 'Request Entity Too Large'));
      return;
    }

    const fault = nextFault();
    if (fault) record.fault = fault;
    if (fault === 'drop') {
      record.message = 'connection dropped';
      req.socket.destroy();
      return;
    }

    const fair = (): Answer =>
      answerTrack(tokenHeader(req), parsed, { tokens: opts.tokens, maxEventAgeDays, rejectEvent: opts.rejectEvent, rejectMode: opts.rejectMode, nowMs: receivedAt });
    const rows = Array.isArray((parsed.json as { data?: unknown })?.data) ? (parsed.json as { data: unknown[] }).data : [];
    const answer = fault && fault !== 'slow' ? answerFault(fault, random, fair, rows) : fair();

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
          delivered.push({ pixelId: parsed.pixelId as string, eventSource: parsed.eventSource as string, testEventCode: parsed.testEventCode, row: kept, receivedAt: at });
        }
      }
      if (answer.code === undefined) {
        // A gateway in front of TikTok answers 5xx with a non-JSON page: clients must cope with that.
        res.writeHead(answer.status, { 'Content-Type': 'text/html' });
        res.end(answer.html ?? `<html><body><h1>${answer.status}</h1>${answer.message ?? ''}</body></html>`);
        return;
      }
      sendJson(res, answer.status, { code: answer.code, message: answer.message, request_id: newRequestId(new Date()), data: answer.data ?? {} });
    };

    if (fault === 'slow') {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        respond();
      }, slowMs);
      pendingTimers.add(timer);
      // A client that hangs up (killed, timed out) is recorded the moment its socket
      // closes, not when the held answer would have gone out: a reader of `requests`
      // right after a kill sees the truth.
      res.once('close', () => {
        if (res.writableEnded) return;
        clearTimeout(timer);
        pendingTimers.delete(timer);
        respond();
      });
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
          // `sticky`/`maxRows`: a value sets, null clears.
          if ('sticky' in body) setStickyFault(body.sticky ?? undefined);
          if ('maxRows' in body) setMaxRows(body.maxRows ?? undefined);
          return sendJson(res, 200, { ok: true, queued: faultQueue.length, rate: faultRate, kinds: faultKinds, sticky: stickyFault ?? null, maxRows: maxRows ?? null });
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
      // Like TikTok's front servers for a path they do not serve (a wrong base URL): an HTML page.
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end(htmlErrorPage(404, 'Not Found'));
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
    setStickyFault,
    setMaxRows,
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

function checkFaultKinds(kinds: readonly string[]): void {
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (unknown.length) throw new Error(`unknown fault kind: ${unknown.join(', ')}`);
}

function checkMaxRows(rows: number | undefined): void {
  if (rows !== undefined && (!Number.isInteger(rows) || rows < 1)) throw new Error(`maxRows must be a whole number of at least 1, got ${rows}`);
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
