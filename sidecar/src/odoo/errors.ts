import type { OdooTarget } from './types';

export type OdooErrorKind =
  | 'unreachable'
  | 'bad_url'
  | 'wrong_database'
  | 'bad_credentials'
  | 'missing_module'
  | 'access_denied'
  | 'validation'
  | 'server_error'
  | 'bad_response';

/**
 * Kinds worth retrying later without anyone changing a setting: the network,
 * an Odoo that restarts or is overloaded, a proxy answering garbage for a moment.
 * Everything else needs the merchant (URL, database, key, module, access rights)
 * or a code fix (validation), so retrying only floods the log.
 */
const RETRYABLE: ReadonlySet<OdooErrorKind> = new Set(['unreachable', 'server_error', 'bad_response']);

export function isRetryableKind(kind: OdooErrorKind): boolean {
  return RETRYABLE.has(kind);
}

export interface OdooErrorDetails {
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** Odoo's exception class (JSON-2 `name`) or XML-RPC fault code, when Odoo said it. */
  odooName?: string;
  /** Odoo's own message, without the traceback. */
  odooMessage?: string;
  model?: string;
  method?: string;
}

/** Every failure of the Odoo client, with a message that says what to fix. */
export class OdooError extends Error {
  readonly kind: OdooErrorKind;
  readonly retryable: boolean;
  readonly status?: number;
  readonly odooName?: string;
  readonly odooMessage?: string;
  readonly model?: string;
  readonly method?: string;

  constructor(kind: OdooErrorKind, message: string, details: OdooErrorDetails = {}) {
    super(message);
    this.name = 'OdooError';
    this.kind = kind;
    this.retryable = isRetryableKind(kind);
    this.status = details.status;
    this.odooName = details.odooName;
    this.odooMessage = details.odooMessage;
    this.model = details.model;
    this.method = details.method;
  }

  /** Safe to hand to a structured logger: no request, headers or key in here. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      retryable: this.retryable,
      message: this.message,
      status: this.status,
      odooName: this.odooName,
      model: this.model,
      method: this.method,
    };
  }
}

export function isOdooError(err: unknown): err is OdooError {
  return err instanceof OdooError;
}

// ---------------------------------------------------------------------------
// Message building blocks (pure)

function where(t: OdooTarget): string {
  return t.db ? `Odoo at ${t.url} (database '${t.db}')` : `Odoo at ${t.url}`;
}

function callName(model?: string, method?: string): string {
  return model && method ? `${model}.${method}` : 'the call';
}

export function badCredentialsError(t: OdooTarget, details: OdooErrorDetails = {}): OdooError {
  const db = t.db ? ` (database '${t.db}')` : '';
  return new OdooError(
    'bad_credentials',
    `Odoo at ${t.url} rejected the API key for login '${t.login}'${db}: check ODOO_LOGIN and ODOO_API_KEY`,
    details,
  );
}

export function wrongDatabaseError(t: OdooTarget, details: OdooErrorDetails = {}): OdooError {
  const message = t.db
    ? `Odoo at ${t.url} has no database '${t.db}' (or its dbfilter hides it): check ODOO_DB`
    : `Odoo at ${t.url} could not pick a database (it serves several, or none matches its dbfilter): set ODOO_DB`;
  return new OdooError('wrong_database', message, details);
}

export function missingModuleError(t: OdooTarget, details: OdooErrorDetails): OdooError {
  const what = callName(details.model, details.method);
  return new OdooError(
    'missing_module',
    `${where(t)} does not know ${what}: install or upgrade the website_tiktok_events module` +
      (details.odooMessage ? ` (Odoo said: ${details.odooMessage})` : ''),
    details,
  );
}

export function accessDeniedError(t: OdooTarget, details: OdooErrorDetails): OdooError {
  return new OdooError(
    'access_denied',
    `${where(t)} refused ${callName(details.model, details.method)} to login '${t.login}': ` +
      `give that user the "TikTok sidecar" group` +
      (details.odooMessage ? ` (Odoo said: ${details.odooMessage})` : ''),
    details,
  );
}

export function validationError(t: OdooTarget, details: OdooErrorDetails): OdooError {
  return new OdooError(
    'validation',
    `${where(t)} rejected ${callName(details.model, details.method)}: ${details.odooMessage ?? 'invalid request'}`,
    details,
  );
}

export function serverError(t: OdooTarget, details: OdooErrorDetails): OdooError {
  const status = details.status ? ` (HTTP ${details.status})` : '';
  return new OdooError(
    'server_error',
    `${where(t)} failed on ${callName(details.model, details.method)}${status}: ` +
      `${details.odooMessage ?? 'internal error'}; will retry`,
    details,
  );
}

export function badResponseError(t: OdooTarget, what: string, details: OdooErrorDetails = {}): OdooError {
  return new OdooError(
    'bad_response',
    `${where(t)} answered ${callName(details.model, details.method)} with ${what}: ` +
      `is ODOO_URL pointing at Odoo itself (not a proxy error page)?`,
    details,
  );
}

export function badUrlError(url: string, why: string): OdooError {
  return new OdooError('bad_url', `${url} does not answer like an Odoo server (${why}): check ODOO_URL`);
}

// ---------------------------------------------------------------------------
// Network failures

/** Error codes of Node sockets and axios that mean "no answer from Odoo". */
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ABORT_ERR']);

/**
 * Turns a socket-level failure into `unreachable`. DNS failures count too: in a
 * compose setup the Odoo container's name only resolves once it runs.
 */
export function networkError(t: OdooTarget, err: unknown, timeoutMs: number, model?: string, method?: string): OdooError {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const timedOut = (code !== undefined && TIMEOUT_CODES.has(code)) || e.name === 'AbortError';
  const reason = timedOut
    ? `no answer within ${timeoutMs} ms`
    : code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host name does not resolve'
        : code
          ? `${code}`
          : typeof e.message === 'string'
            ? e.message
            : 'network error';
  return new OdooError(
    'unreachable',
    `Odoo at ${t.url} is unreachable (${reason}): check ODOO_URL and that Odoo is running; will retry`,
    { model, method },
  );
}

// ---------------------------------------------------------------------------
// JSON-2 answers

/** The error body of Odoo 19's JSON-2 endpoint (`odoo.http.serialize_exception`). */
export interface Json2ErrorBody {
  name: string;
  message: string;
  arguments?: unknown[];
  context?: Record<string, unknown>;
  debug?: string;
}

export function parseJson2ErrorBody(text: string): Json2ErrorBody | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object' && typeof (body as Json2ErrorBody).name === 'string') {
      const b = body as Json2ErrorBody;
      return { name: b.name, message: typeof b.message === 'string' ? b.message : '', arguments: b.arguments };
    }
  } catch {
    // not JSON: a proxy page or Odoo's plain HTML 404
  }
  return undefined;
}

/** Odoo's own page when no database could be selected (`NOT_FOUND_NODB` in odoo/http.py). */
const NO_DATABASE_PAGE = /No database is selected/i;

/**
 * Maps a non-2xx JSON-2 answer. Status codes as Odoo 19 sends them:
 * 401 bad key, 403 AccessError, 404 unknown model/method (JSON) or no database
 * (HTML page), 404 MissingError, 409 LockError, 422 UserError/ValidationError
 * and bad arguments, 400 unparsable body, 500 anything else.
 */
export function json2HttpError(
  t: OdooTarget,
  status: number,
  text: string,
  model: string,
  method: string,
): OdooError {
  const body = parseJson2ErrorBody(text);
  const details: OdooErrorDetails = { status, odooName: body?.name, odooMessage: body?.message || undefined, model, method };
  const name = body?.name ?? '';

  if (status === 401) return badCredentialsError(t, details);
  if (status === 403) {
    // AccessDenied (a key/session mismatch) is a credentials problem; AccessError is a rights problem.
    return name.endsWith('.AccessDenied') ? badCredentialsError(t, details) : accessDeniedError(t, details);
  }
  if (status === 404) {
    if (!body) {
      return NO_DATABASE_PAGE.test(text)
        ? wrongDatabaseError(t, details)
        : badUrlError(t.url, `POST /json/2/${model}/${method} → 404 without Odoo's JSON error; is this Odoo 19 or later? otherwise set ODOO_TRANSPORT=xmlrpc`);
    }
    if (name.endsWith('.MissingError')) return validationError(t, details);
    return missingModuleError(t, details);
  }
  if (status >= 300 && status < 400) {
    return badUrlError(t.url, `HTTP ${status} redirect; use the address Odoo redirects to`);
  }
  if (status === 409 || status >= 500) return serverError(t, details);
  // Too large, whoever said it (Odoo's JSON, or a proxy's page): the same body
  // would be refused again, so it is a refusal of the request, not an outage.
  if (status === 413) return validationError(t, { ...details, odooMessage: details.odooMessage ?? 'HTTP 413: the request is larger than Odoo (or a proxy in front of it) accepts' });
  if (status >= 400) {
    if (!body) return badResponseError(t, `HTTP ${status} without Odoo's JSON error`, details);
    return validationError(t, details);
  }
  return badResponseError(t, `unexpected HTTP ${status}`, details);
}

// ---------------------------------------------------------------------------
// XML-RPC faults

/** Odoo's fault codes on /xmlrpc/2 (addons/rpc/controllers/xmlrpc.py). */
export const XMLRPC_FAULT = { APPLICATION_ERROR: 1, WARNING: 2, ACCESS_DENIED: 3, ACCESS_ERROR: 4 } as const;

/** The last meaningful line of a Python traceback, without the exception class. */
export function faultMessage(faultString: string): { exception?: string; message: string } {
  const lines = faultString.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const last = lines[lines.length - 1] ?? '';
  if (lines.length > 1 || /^Traceback/.test(faultString)) {
    const m = /^([A-Za-z_][\w.]*(?:Error|Exception|Denied|Warning)):\s*(.*)$/.exec(last);
    if (m) return { exception: m[1], message: m[2] };
  }
  return { message: faultString.trim() };
}

const DATABASE_MISSING = /database "([^"]+)" does not exist/;
const METHOD_MISSING = /The method '([^']+)' does not exist|object has no attribute '([^']+)'/;
const MODEL_MISSING = /Object (\S+) doesn't exist/;

export function xmlRpcFaultError(
  t: OdooTarget,
  faultCode: unknown,
  faultString: string,
  model?: string,
  method?: string,
): OdooError {
  const { exception, message } = faultMessage(faultString);
  const details: OdooErrorDetails = {
    odooName: exception ?? `fault ${String(faultCode)}`,
    odooMessage: message,
    model,
    method,
  };
  if (DATABASE_MISSING.test(faultString)) return wrongDatabaseError(t, details);
  if (faultCode === XMLRPC_FAULT.ACCESS_DENIED || /^Access Denied$/i.test(message)) return badCredentialsError(t, details);
  if (faultCode === XMLRPC_FAULT.ACCESS_ERROR || /AccessError/.test(faultString)) return accessDeniedError(t, details);
  if (METHOD_MISSING.test(faultString) || MODEL_MISSING.test(faultString)) return missingModuleError(t, details);
  if (faultCode === XMLRPC_FAULT.WARNING) return validationError(t, details);
  return serverError(t, details);
}
