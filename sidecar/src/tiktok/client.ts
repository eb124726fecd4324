import axios, { type AxiosInstance } from 'axios';
import http from 'node:http';
import https from 'node:https';
import { classifyResponse, tiktokText, withRetryAfter, type RetryCause, type SendOutcome } from './outcome';

export interface EventsApiClient {
  /** `body` is a serialized `TrackRequest` (see serializeTrackRequest). */
  send(body: string, accessToken: string): Promise<SendOutcome>;
}

export interface HttpEventsApiOptions {
  /** Base URL up to `/open_api`, e.g. https://business-api.tiktok.com/open_api */
  baseUrl: string;
  timeoutMs: number;
}

/** The track endpoint under a base URL (TIKTOK_API_BASE_URL). */
export function trackUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1.3/event/track/`;
}

/** An address fit for a log line: no user or password. */
export function displayUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** Axios error codes of a request that ran out of time. */
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

/** The real Events API over HTTP(S), with keep-alive connections. */
export class HttpEventsApiClient implements EventsApiClient {
  private readonly http: AxiosInstance;
  private readonly url: string;

  constructor(opts: HttpEventsApiOptions) {
    this.url = trackUrl(opts.baseUrl);
    this.http = axios.create({
      timeout: opts.timeoutMs,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 16 }),
      validateStatus: () => true,
      maxRedirects: 0,
      // Bodies reach 1,000 events; keep axios from refusing them.
      maxBodyLength: 64 * 1024 * 1024,
      maxContentLength: 8 * 1024 * 1024,
      // The body is already JSON text.
      transformRequest: [(data: unknown) => data],
    });
  }

  async send(body: string, accessToken: string): Promise<SendOutcome> {
    try {
      const res = await this.http.post(this.url, body, {
        headers: { 'Access-Token': accessToken, 'Content-Type': 'application/json' },
      });
      return withRetryAfter(classifyResponse(res.status, res.data, displayUrl(this.url)), res.headers['retry-after'], Date.now());
    } catch (err) {
      // Timeouts, refused or dropped connections: TikTok never saw a definite answer.
      const e = err as { code?: string; message?: string };
      const cause: RetryCause = e.code && TIMEOUT_CODES.has(e.code) ? 'timeout' : 'network';
      return { kind: 'retry', cause, detail: tiktokText(`${e.code ?? ''} ${e.message ?? String(err)}`) };
    }
  }
}
