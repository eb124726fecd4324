import { isIP } from 'node:net';
import { scrubFreeText } from './contactData';
import { REDACTED } from '../contract/privacy';
import type { TrackResponse } from './types';

/**
 * Why a batch goes back to the queue unchanged. Each is a passing condition of
 * TikTok or the network, retried with backoff per row.
 */
export type RetryCause =
  /** 40100 or HTTP 429. */
  | 'rate_limited'
  /** HTTP 5xx or 408 (TikTok's gateway or a proxy). */
  | 'server_error'
  /** 40700 or a 5xxxx code: TikTok answered but could not process the request now. */
  | 'tiktok_busy'
  | 'timeout'
  /** Refused, reset or dropped connections, DNS failures. */
  | 'network';

/**
 * A problem of the request, not of its rows: every row would get the same answer,
 * so splitting the batch cannot help and no row may become a dead letter for it.
 */
export type RequestProblem =
  /** 40001/40104/40105/40110: the token or the pixel's permissions. A new token lifts it. */
  | 'token_refused'
  /** HTTP 404/405 or a redirect: TIKTOK_API_BASE_URL does not point at the Events API. */
  | 'wrong_base_url'
  /** An HTML page or another body that is not an Events API answer (a proxy, a portal). */
  | 'not_tiktok_answer'
  /** A code this sidecar does not know, or a refusal that hit every row alike. */
  | 'request_refused';

/** One event TikTok named as failed in the `data` of a 20001 answer. */
export interface RowFailure {
  /** Position in the request's `data` array (0-based). */
  index?: number;
  eventId?: string;
  code: number;
  message: string;
}

/** What the dispatcher should do with a batch after TikTok (or the network) answered. */
export type SendOutcome =
  | { kind: 'delivered' }
  /** 20001 naming some events as failed; the others were accepted. */
  | { kind: 'partial'; failures: RowFailure[] }
  /** `retryAfterMs`: how long TikTok (or a proxy) asked to wait, from a Retry-After header with a rate limit. */
  | { kind: 'retry'; cause: RetryCause; detail: string; retryAfterMs?: number }
  /** A row-level refusal (40000/40002): split the batch to find the bad rows. */
  | { kind: 'rejected'; code: number; message: string }
  /** HTTP 413 or "request entity too large": send the batch in halves. */
  | { kind: 'too_large'; status: number; message: string }
  /** `code` is TikTok's code, or the HTTP status when the answer had none. */
  | { kind: 'request_problem'; problem: RequestProblem; code: number; message: string };

export const TIKTOK_CODES = {
  ok: 0,
  partialSuccess: 20001,
  genericParameter: 40000,
  noPermission: 40001,
  invalidParameter: 40002,
  rateLimited: 40100,
  tokenExpired: 40104,
  tokenInvalid: 40105,
  tokenMissing: 40110,
  busy: 40700,
} as const;

/** Codes about the token or the pixel's permissions: the whole pixel is refused. */
export const TOKEN_CODES: ReadonlySet<number> = new Set([
  TIKTOK_CODES.noPermission,
  TIKTOK_CODES.tokenExpired,
  TIKTOK_CODES.tokenInvalid,
  TIKTOK_CODES.tokenMissing,
]);

/** Codes that may be caused by one row of the batch: worth bisecting. */
export const ROW_LEVEL_CODES: ReadonlySet<number> = new Set([TIKTOK_CODES.genericParameter, TIKTOK_CODES.invalidParameter]);

/** Proxies (nginx, load balancers) and TikTok word an oversized body this way. */
const TOO_LARGE_TEXT = /(request|payload|body)\s+(entity\s+)?too\s+large/i;

/** Longest TikTok message kept; they are short, an HTML page is not. */
export const MAX_MESSAGE_CHARS = 300;

/** Runs of characters an IPv4 or IPv6 address is written with. */
const ADDRESS_LIKE = /[0-9A-Fa-f:.]{3,45}/g;

/** The text with every IP address replaced: `net.isIP` decides, not a pattern of its own. */
function redactIpAddresses(text: string): string {
  return text.replace(ADDRESS_LIKE, (run) => {
    const bare = run.replace(/^[:.]+|[:.]+$/g, '');
    return isIP(bare) ? run.replace(bare, REDACTED) : run;
  });
}

/**
 * Text that comes from TikTok (or whatever answered in its place) as it may be
 * logged, stored and reported: TikTok's messages can quote a value of the refused
 * row, so contact data (the sidecar's free-text rule, contactData.ts, which reads the text as written first) and IP addresses
 * are blanked before anything else sees the text, and its length is bounded.
 * Redaction runs on the whole text before it is cut: a cut address would escape it.
 */
export function tiktokText(raw: string): string {
  return clip(redactIpAddresses(scrubFreeText(raw.replace(/\s+/g, ' ').trim())));
}

/** Codes retried like an HTTP 5xx. */
export function isRetryableCode(code: number): boolean {
  return code === TIKTOK_CODES.rateLimited || code === TIKTOK_CODES.busy || code >= 50000;
}

/**
 * Classify an HTTP answer. TikTok answers 200 for most errors: read `code`, not
 * only the status. `url` (without credentials) names the address in messages.
 */
export function classifyResponse(status: number, body: unknown, url?: string): SendOutcome {
  if (status === 413) return { kind: 'too_large', status, message: tiktokText(textOf(body)) || 'Request Entity Too Large' };
  if (status === 429) return { kind: 'retry', cause: 'rate_limited', detail: 'HTTP 429' };
  if (status >= 500 || status === 408) return { kind: 'retry', cause: 'server_error', detail: `HTTP ${status}` };
  if (status === 404 || status === 405 || (status >= 300 && status < 400)) {
    return { kind: 'request_problem', problem: 'wrong_base_url', code: status, message: `HTTP ${status} from ${url ?? 'the Events API address'}` };
  }
  const answer = tiktokAnswer(body);
  if (!answer) {
    return { kind: 'request_problem', problem: 'not_tiktok_answer', code: status, message: `HTTP ${status} with ${describeBody(body)} instead of an Events API answer` };
  }
  const message = tiktokText(String(answer.message ?? ''));
  if (TOO_LARGE_TEXT.test(message)) return { kind: 'too_large', status, message };
  return classifyCode(answer.code, message, answer.data);
}

/**
 * A rate limit's outcome with the wait its answer asked for: a Retry-After of
 * delta-seconds or an HTTP date (RFC 9110), read against `now`. Anything else
 * (absent, unreadable, in the past) asks for nothing; other outcomes are unchanged.
 */
export function withRetryAfter(outcome: SendOutcome, header: unknown, now: number): SendOutcome {
  if (outcome.kind !== 'retry' || outcome.cause !== 'rate_limited' || typeof header !== 'string') return outcome;
  const value = header.trim();
  const ms = /^\d{1,9}$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? { ...outcome, retryAfterMs: ms } : outcome;
}

/** The decision for a TikTok `code` (HTTP status aside). */
export function classifyCode(code: number, message: string, data?: unknown): SendOutcome {
  if (code === TIKTOK_CODES.ok) return { kind: 'delivered' };
  if (code === TIKTOK_CODES.partialSuccess) {
    const failures = readRowFailures(data);
    return failures.length ? { kind: 'partial', failures } : { kind: 'delivered' };
  }
  if (code === TIKTOK_CODES.rateLimited) return { kind: 'retry', cause: 'rate_limited', detail: `${code}: ${message}` };
  if (isRetryableCode(code)) return { kind: 'retry', cause: 'tiktok_busy', detail: `${code}: ${message}` };
  if (TOKEN_CODES.has(code)) return { kind: 'request_problem', problem: 'token_refused', code, message };
  if (ROW_LEVEL_CODES.has(code)) return { kind: 'rejected', code, message };
  return { kind: 'request_problem', problem: 'request_refused', code, message: `unknown code ${code}: ${message}` };
}

/**
 * The per-event failures of a 20001 answer. The shape is not documented, so this
 * reads what integrators report and nothing else:
 *
 * - the list is `data.failed_events`, `data.error_events`, `data.failed`,
 *   `data.errors`, or `data` itself when it is an array;
 * - an entry is an object naming its row by `index` (0-based position in the
 *   request's `data`, a non-negative integer) and/or `event_id` (a string), with
 *   an optional numeric `code` (default 20001) and `message` (or `msg`, `error`).
 *
 * Entries naming no row are skipped; anything else yields no failures (the
 * answer then counts as delivered, as integrators treat 20001).
 */
export function readRowFailures(data: unknown): RowFailure[] {
  const list = failureList(data);
  const failures: RowFailure[] = [];
  for (const entry of list) {
    if (!isObject(entry)) continue;
    const index = Number.isInteger(entry.index) && (entry.index as number) >= 0 ? (entry.index as number) : undefined;
    const eventId = typeof entry.event_id === 'string' && entry.event_id !== '' ? entry.event_id : undefined;
    if (index === undefined && eventId === undefined) continue;
    const code = typeof entry.code === 'number' && Number.isInteger(entry.code) ? entry.code : TIKTOK_CODES.partialSuccess;
    const text = [entry.message, entry.msg, entry.error].find((v): v is string => typeof v === 'string' && v !== '');
    failures.push({ index, eventId, code, message: tiktokText(text ?? 'TikTok reported this event as failed') });
  }
  return failures;
}

const FAILURE_LIST_KEYS = ['failed_events', 'error_events', 'failed', 'errors'] as const;

function failureList(data: unknown): unknown[] {
  if (Array.isArray(data)) return data;
  if (!isObject(data)) return [];
  for (const key of FAILURE_LIST_KEYS) {
    if (Array.isArray(data[key])) return data[key] as unknown[];
  }
  return [];
}

function tiktokAnswer(body: unknown): (Partial<TrackResponse> & { code: number }) | undefined {
  return isObject(body) && typeof body.code === 'number' && Number.isInteger(body.code) ? (body as Partial<TrackResponse> & { code: number }) : undefined;
}

function describeBody(body: unknown): string {
  if (body === undefined || body === null || body === '') return 'an empty body';
  if (typeof body === 'string') return /^\s*</.test(body) ? 'an HTML page' : 'a body that is not JSON';
  return 'JSON without a TikTok code';
}

/** The title or first words of a non-JSON body, for a log line (not yet redacted). */
function textOf(body: unknown): string {
  if (typeof body === 'string') {
    const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1] ?? /<h1>([^<]*)<\/h1>/i.exec(body)?.[1];
    return title ?? body.replace(/<[^>]*>/g, ' ');
  }
  return isObject(body) && typeof body.message === 'string' ? body.message : '';
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
