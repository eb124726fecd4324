import axios, { type AxiosInstance } from 'axios';
import http from 'node:http';
import https from 'node:https';
import { classifyResponse, type SendOutcome } from './outcome';

export interface EventsApiClient {
  /** `body` is a serialized `TrackRequest` (see serializeTrackRequest). */
  send(body: string, accessToken: string): Promise<SendOutcome>;
}

export interface HttpEventsApiOptions {
  /** Base URL up to `/open_api`, e.g. https://business-api.tiktok.com/open_api */
  baseUrl: string;
  timeoutMs: number;
}

/** The real Events API over HTTP(S), with keep-alive connections. */
export class HttpEventsApiClient implements EventsApiClient {
  private readonly http: AxiosInstance;

  constructor(opts: HttpEventsApiOptions) {
    this.http = axios.create({
      baseURL: opts.baseUrl.replace(/\/+$/, ''),
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
      const res = await this.http.post('/v1.3/event/track/', body, {
        headers: { 'Access-Token': accessToken, 'Content-Type': 'application/json' },
      });
      return classifyResponse(res.status, res.data);
    } catch (err) {
      // Timeouts, refused or dropped connections: TikTok never saw a definite answer.
      const e = err as { code?: string; message?: string };
      return { kind: 'retry', reason: `network: ${e.code ?? ''} ${e.message ?? String(err)}`.trim() };
    }
  }
}
