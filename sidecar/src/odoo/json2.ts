import axios, { type AxiosInstance } from 'axios';
import http from 'node:http';
import https from 'node:https';
import { badResponseError, json2HttpError, networkError, OdooError } from './errors';
import type { OdooCallParams, OdooTarget, OdooTransport } from './types';

/** Model and method names as Odoo spells them; anything else would reshape the URL path. */
const MODEL_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;
const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function assertCallable(model: string, method: string): void {
  if (!MODEL_NAME.test(model) || !METHOD_NAME.test(method)) {
    throw new OdooError('validation', `not an Odoo model method name: ${JSON.stringify(`${model}.${method}`)}`, {
      model,
      method,
    });
  }
}

/** JSON-2 takes named arguments only; `ids` and `context` sit beside them in the body. */
export function json2Body(params: OdooCallParams = {}): Record<string, unknown> {
  const body: Record<string, unknown> = { ...(params.kwargs ?? {}) };
  if (params.ids !== undefined) body.ids = params.ids;
  if (params.context !== undefined) body.context = params.context;
  return body;
}

export interface Json2Options {
  baseUrl: string;
  target: OdooTarget;
  apiKey: string;
  timeoutMs: number;
}

/**
 * Odoo 19's JSON-2 API: `POST /json/2/<model>/<method>` with a bearer API key.
 * Odoo logs nothing per call here, unlike XML-RPC which warns on every request.
 */
export class Json2Transport implements OdooTransport {
  readonly kind = 'json2' as const;
  private readonly http: AxiosInstance;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly target: OdooTarget;
  private readonly timeoutMs: number;

  constructor(opts: Json2Options) {
    this.target = opts.target;
    this.timeoutMs = opts.timeoutMs;
    const headers: Record<string, string> = {
      Authorization: `bearer ${opts.apiKey}`,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    };
    // Without the header Odoo only finds a database when it serves exactly one.
    if (opts.target.db) headers['X-Odoo-Database'] = opts.target.db;
    this.http = axios.create({
      baseURL: opts.baseUrl,
      timeout: opts.timeoutMs,
      headers,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // Status codes carry Odoo's error kind; a redirect would turn the POST into a GET.
      validateStatus: () => true,
      maxRedirects: 0,
      // Parse ourselves so a truncated or non-JSON body becomes a clear error.
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxContentLength: 64 * 1024 * 1024,
    });
  }

  async call<T = unknown>(model: string, method: string, params?: OdooCallParams): Promise<T> {
    assertCallable(model, method);
    let res;
    try {
      res = await this.http.post<string>(`/json/2/${model}/${method}`, JSON.stringify(json2Body(params)));
    } catch (err) {
      // Only socket-level failures land here (validateStatus accepts every status).
      throw networkError(this.target, err, this.timeoutMs, model, method);
    }
    const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
    if (res.status < 200 || res.status >= 300) {
      throw json2HttpError(this.target, res.status, text, model, method);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw badResponseError(this.target, `HTTP ${res.status} and a body that is not JSON`, {
        status: res.status,
        model,
        method,
      });
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
