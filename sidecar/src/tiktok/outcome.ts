import type { TrackResponse } from './types';

/** What the dispatcher should do with a batch after TikTok (or the network) answered. */
export type SendOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; reason: string }
  /** TikTok refused the content: split the batch to find the bad rows. */
  | { kind: 'rejected'; code: number; message: string }
  /** The token or the pixel's permissions are wrong: nothing on this pixel can go until settings change. */
  | { kind: 'unauthorized'; code: number; message: string };

const RATE_LIMITED = 40100;
const UNAUTHORIZED_CODES = new Set([40001, 40105, 40110]);

/** Classify an HTTP answer. TikTok answers 200 for most errors: read `code`, not only the status. */
export function classifyResponse(status: number, body: unknown): SendOutcome {
  if (status >= 500 || status === 429 || status === 408) return { kind: 'retry', reason: `HTTP ${status}` };
  const parsed = body as Partial<TrackResponse> | undefined;
  if (!parsed || typeof parsed !== 'object' || typeof parsed.code !== 'number') {
    return status >= 400
      ? { kind: 'unauthorized', code: status, message: `HTTP ${status} without a TikTok answer` }
      : { kind: 'retry', reason: `HTTP ${status} with an unreadable body` };
  }
  const message = String(parsed.message ?? '');
  if (parsed.code === 0) return { kind: 'delivered' };
  if (parsed.code === RATE_LIMITED) return { kind: 'retry', reason: `rate limited (${RATE_LIMITED}): ${message}` };
  if (UNAUTHORIZED_CODES.has(parsed.code)) return { kind: 'unauthorized', code: parsed.code, message };
  if (parsed.code >= 50000) return { kind: 'retry', reason: `TikTok internal error ${parsed.code}: ${message}` };
  return { kind: 'rejected', code: parsed.code, message };
}
