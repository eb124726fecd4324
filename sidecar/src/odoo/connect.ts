import axios from 'axios';
import { badResponseError, badUrlError, networkError, OdooError, serverError } from './errors';
import { Json2Transport } from './json2';
import { FIRST_JSON2_MAJOR, normalizeBaseUrl, parseOdooVersion, pickTransport, type OdooVersion } from './version';
import { XmlRpcChannel, XmlRpcTransport } from './xmlrpc';
import {
  DEFAULT_TIMEOUT_MS,
  type ConnectedOdoo,
  type OdooCallParams,
  type OdooConnectionConfig,
  type OdooLogger,
  type OdooTarget,
  type OdooTransport,
} from './types';

/**
 * Asks Odoo its version: `GET /web/version`, and when that route is absent
 * (older servers, or a proxy exposing only the RPC paths) XML-RPC `common.version()`.
 */
export async function probeOdooVersion(baseUrl: string, target: OdooTarget, timeoutMs: number): Promise<OdooVersion> {
  let res;
  try {
    res = await axios.get<string>(`${baseUrl}/web/version`, {
      timeout: timeoutMs,
      validateStatus: () => true,
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
    });
  } catch (err) {
    throw networkError(target, err, timeoutMs);
  }
  if (res.status >= 300 && res.status < 400) {
    const to = typeof res.headers.location === 'string' ? ` to ${res.headers.location}` : '';
    throw badUrlError(baseUrl, `GET /web/version redirects${to}; use the address Odoo redirects to`);
  }
  // A proxy in front of an Odoo that is (re)starting: worth retrying.
  if (res.status >= 500) throw serverError(target, { status: res.status, odooMessage: 'GET /web/version failed' });
  if (res.status === 200) {
    let body: unknown;
    try {
      body = JSON.parse(String(res.data));
    } catch {
      body = undefined;
    }
    const version = parseOdooVersion(body);
    if (version) return version;
  }
  return probeViaXmlRpc(baseUrl, target, timeoutMs, `GET /web/version → HTTP ${res.status}`);
}

async function probeViaXmlRpc(baseUrl: string, target: OdooTarget, timeoutMs: number, firstFailure: string): Promise<OdooVersion> {
  const channel = new XmlRpcChannel(baseUrl, target, timeoutMs);
  try {
    const version = parseOdooVersion(await channel.invoke('common', 'version', []));
    if (version) return version;
  } catch (err) {
    if (err instanceof OdooError && err.kind === 'unreachable') throw err;
  } finally {
    channel.close();
  }
  throw badUrlError(baseUrl, `${firstFailure}, and no XML-RPC version either`);
}

/** The transport plus what the login told us. */
class ConnectedTransport implements ConnectedOdoo {
  readonly kind: 'json2' | 'xmlrpc';

  constructor(
    private readonly inner: OdooTransport & { close(): void },
    readonly uid: number,
    readonly serverVersion: string,
  ) {
    this.kind = inner.kind;
  }

  call<T = unknown>(model: string, method: string, params?: OdooCallParams): Promise<T> {
    return this.inner.call<T>(model, method, params);
  }

  close(): void {
    this.inner.close();
  }
}

async function json2Login(transport: Json2Transport, target: OdooTarget): Promise<number> {
  // The cheapest authenticated call: it needs no access right beyond being a user.
  const ctx = await transport.call<unknown>('res.users', 'context_get');
  const uid = ctx && typeof ctx === 'object' ? (ctx as { uid?: unknown }).uid : undefined;
  if (typeof uid !== 'number' || !Number.isInteger(uid)) {
    throw badResponseError(target, 'a user context without uid', { model: 'res.users', method: 'context_get' });
  }
  return uid;
}

/**
 * Checks URL, version, database and credentials, then returns a ready transport.
 * Every failure is an `OdooError` whose message names the setting to fix;
 * `retryable` says whether waiting can help (Odoo down) or a person must act.
 */
export async function connectOdoo(cfg: OdooConnectionConfig, log?: OdooLogger): Promise<ConnectedOdoo> {
  const baseUrl = normalizeBaseUrl(cfg.url);
  if (!baseUrl) {
    throw new OdooError(
      'bad_url',
      `ODOO_URL ${JSON.stringify(cfg.url)} is not an http:// or https:// address (without user, password or query), e.g. http://odoo:8069`,
    );
  }
  const target: OdooTarget = { url: baseUrl, db: cfg.db?.trim() || undefined, login: cfg.login };
  if (!cfg.login.trim() || !cfg.apiKey.trim()) {
    throw new OdooError('bad_credentials', `ODOO_LOGIN and ODOO_API_KEY must both be set to reach Odoo at ${baseUrl}`);
  }
  const timeoutMs = cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  const version = await probeOdooVersion(baseUrl, target, timeoutMs);
  const kind = pickTransport(cfg.transport, version);
  if (kind === 'json2' && version.major < FIRST_JSON2_MAJOR) {
    throw new OdooError(
      'bad_url',
      `Odoo at ${baseUrl} is version ${version.label}, which has no JSON-2 API: set ODOO_TRANSPORT=xmlrpc or auto`,
    );
  }
  if (kind === 'xmlrpc' && version.major >= FIRST_JSON2_MAJOR) {
    log?.warn(
      { url: baseUrl, version: version.label },
      `XML-RPC is deprecated in Odoo ${version.label}, which logs a warning for every call: set ODOO_TRANSPORT=json2 (or auto)`,
    );
  }

  const opts = { baseUrl, target, apiKey: cfg.apiKey, timeoutMs };
  let transport: Json2Transport | XmlRpcTransport;
  let uid: number;
  if (kind === 'json2') {
    transport = new Json2Transport(opts);
    uid = await json2Login(transport, target).catch((err: unknown) => {
      transport.close();
      throw err;
    });
  } else {
    const xml = new XmlRpcTransport(opts);
    transport = xml;
    uid = await xml.authenticate().catch((err: unknown) => {
      xml.close();
      throw err;
    });
    target.db = xml.db;
  }
  log?.info({ url: baseUrl, db: target.db, login: target.login, transport: kind, version: version.label, uid }, 'connected to Odoo');
  return new ConnectedTransport(transport, uid, version.label);
}

