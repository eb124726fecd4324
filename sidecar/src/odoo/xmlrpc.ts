import http from 'node:http';
import https from 'node:https';
import xmlrpc from 'xmlrpc';
import {
  badCredentialsError,
  badResponseError,
  badUrlError,
  networkError,
  OdooError,
  serverError,
  wrongDatabaseError,
  xmlRpcFaultError,
} from './errors';
import { assertCallable } from './json2';
import type { OdooCallParams, OdooTarget, OdooTransport } from './types';

/** What the `xmlrpc` package attaches to its errors (faults, bad bodies, HTTP 404). */
interface XmlRpcPackageError {
  faultCode?: unknown;
  faultString?: unknown;
  code?: unknown;
  res?: { statusCode?: number };
}

/** execute_kw's positional arguments: only the record ids; everything else goes by name. */
export function executeKwArgs(params: OdooCallParams = {}): { args: unknown[]; kwargs: Record<string, unknown> } {
  const kwargs: Record<string, unknown> = { ...(params.kwargs ?? {}) };
  if (params.context !== undefined) kwargs.context = params.context;
  return { args: params.ids !== undefined ? [params.ids] : [], kwargs };
}

/**
 * One HTTP(S) endpoint speaking XML-RPC, with a per-call deadline (the package has none)
 * and Odoo's faults turned into `OdooError`s.
 */
export class XmlRpcChannel {
  private readonly url: URL;
  private readonly agent: http.Agent;

  constructor(
    baseUrl: string,
    private readonly target: OdooTarget,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(baseUrl);
    this.agent =
      this.url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 8 }) : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  /** `service` is common, object or db: the path /xmlrpc/2/<service>. */
  invoke(service: 'common' | 'object' | 'db', rpcMethod: string, params: unknown[], label: { model?: string; method?: string } = {}): Promise<unknown> {
    const path = `${this.url.pathname.replace(/\/+$/, '')}/xmlrpc/2/${service}`;
    const secure = this.url.protocol === 'https:';
    const controller = new AbortController();
    const options = {
      host: this.url.hostname,
      port: Number(this.url.port) || (secure ? 443 : 80),
      path,
      agent: this.agent,
      // Passed through to http.request, which aborts the socket on timeout.
      signal: controller.signal,
    };
    const client = secure ? xmlrpc.createSecureClient(options) : xmlrpc.createClient(options);

    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(() => {
        settle(() => reject(networkError(this.target, { code: 'ETIMEDOUT' }, this.timeoutMs, label.model, label.method)));
        controller.abort();
      }, this.timeoutMs);

      client.methodCall(rpcMethod, params, (error: unknown, value: unknown) => {
        if (error) settle(() => reject(this.classify(error, path, label)));
        else settle(() => resolve(value));
      });
    });
  }

  private classify(err: XmlRpcPackageError, path: string, label: { model?: string; method?: string }): OdooError {
    if (err.faultCode !== undefined || typeof err.faultString === 'string') {
      return xmlRpcFaultError(this.target, err.faultCode, typeof err.faultString === 'string' ? err.faultString : '', label.model, label.method);
    }
    const status = err.res?.statusCode;
    if (status === undefined) return networkError(this.target, err, this.timeoutMs, label.model, label.method);
    if (status === 404) return badUrlError(this.target.url, `POST ${path} → 404, no XML-RPC endpoint there`);
    if (status >= 500) return serverError(this.target, { status, model: label.model, method: label.method });
    return badResponseError(this.target, `HTTP ${status} and a body that is not XML-RPC`, {
      status,
      model: label.model,
      method: label.method,
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface XmlRpcOptions {
  baseUrl: string;
  target: OdooTarget;
  apiKey: string;
  timeoutMs: number;
}

/**
 * Odoo's XML-RPC API (`/xmlrpc/2/common` and `/xmlrpc/2/object`). Works on every
 * Odoo version; deprecated in 19, where each call logs a warning on the server.
 */
export class XmlRpcTransport implements OdooTransport {
  readonly kind = 'xmlrpc' as const;
  private readonly channel: XmlRpcChannel;
  private target: OdooTarget;
  private uidValue: number | undefined;

  constructor(private readonly opts: XmlRpcOptions) {
    this.target = { ...opts.target };
    this.channel = new XmlRpcChannel(opts.baseUrl, this.target, opts.timeoutMs);
  }

  get uid(): number | undefined {
    return this.uidValue;
  }

  get db(): string | undefined {
    return this.target.db;
  }

  /**
   * Resolves the database (when none is configured and Odoo lists exactly one)
   * and trades login + API key for the user id every later call carries.
   */
  async authenticate(): Promise<number> {
    if (!this.target.db) this.target.db = await this.onlyDatabase();
    const uid = await this.channel.invoke('common', 'authenticate', [this.target.db, this.target.login, this.opts.apiKey, {}]);
    if (typeof uid !== 'number' || !Number.isInteger(uid) || uid <= 0) {
      if (uid === false) throw badCredentialsError(this.target);
      throw badResponseError(this.target, `a login answer that is not a user id (${JSON.stringify(uid)})`);
    }
    this.uidValue = uid;
    return uid;
  }

  private async onlyDatabase(): Promise<string> {
    let dbs: unknown;
    try {
      dbs = await this.channel.invoke('db', 'list', []);
    } catch (err) {
      if (err instanceof OdooError && err.retryable) throw err;
      dbs = undefined; // listing disabled (list_db = False): the merchant must name it
    }
    if (Array.isArray(dbs) && dbs.length === 1 && typeof dbs[0] === 'string') return dbs[0];
    throw wrongDatabaseError(this.target);
  }

  async call<T = unknown>(model: string, method: string, params?: OdooCallParams): Promise<T> {
    assertCallable(model, method);
    if (this.uidValue === undefined || !this.target.db) await this.authenticate();
    const { args, kwargs } = executeKwArgs(params);
    const value = await this.channel.invoke(
      'object',
      'execute_kw',
      [this.target.db, this.uidValue, this.opts.apiKey, model, method, args, kwargs],
      { model, method },
    );
    return value as T;
  }

  close(): void {
    this.channel.close();
  }
}
