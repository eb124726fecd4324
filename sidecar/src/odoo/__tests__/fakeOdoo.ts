/**
 * A local stand-in for an Odoo server: `/web/version`, JSON-2 (`/json/2/<model>/<method>`)
 * and XML-RPC (`/xmlrpc/2/common|object|db`) on one port, answering the way Odoo 19
 * really does (status codes, error bodies and fault strings recorded from a live 19.0).
 */
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import xmlrpc from 'xmlrpc';
import { OdooError } from '../errors';

export interface FakeOdooOptions {
  /** Major version; `null` = an old server without `/web/version` (XML-RPC `common.version()` only). */
  major?: number | null;
  db?: string;
  /** Every database the server hosts (db.list); defaults to `[db]`. */
  databases?: string[];
  login?: string;
  apiKey?: string;
  uid?: number;
  /** Does the website_tiktok_events module exist on this server? */
  withModule?: boolean;
  /** With the module: what `website.tiktok_sidecar_settings()` answers (docs/CONTRACTS.md §5). */
  websites?: unknown[];
  /**
   * With the module: confirmed web orders never queued, as `sale.order.tiktok_backfill_purchases`
   * finds them (`outcome`: 'queued' or a skip reason). Like Odoo, a run that is no dry run
   * gives every order but the unpaid ones a row, so they are not found again.
   */
  missedPurchases?: FakeMissedPurchase[];
  /** The sidecar's user lost its group: the backfill is refused like Odoo refuses it. */
  backfillRefused?: boolean;
}

export interface FakeMissedPurchase {
  order_id: number;
  order_name: string;
  confirmed_at: string;
  outcome: string;
}

/** Labels of the skip reasons, as the module's selection has them. */
const SKIP_LABELS: Record<string, string> = {
  no_consent: 'The buyer did not consent to optional cookies',
  not_paid: 'No confirmed payment and no opt-in for orders without one',
  internal_user: 'Excluded: the buyer is an internal user',
  test_buyer: "Excluded: the buyer's e-mail is one of the test buyers of the settings",
};
const MAX_BACKFILL_AGE_SECONDS = 7 * 24 * 3600;

/** Whole-server misbehaviour, for both transports alike. */
export type Breakage = 'none' | 'hang' | 'garbage' | 'proxy502' | 'crash500';

export interface RecordedCall {
  transport: 'json2' | 'xmlrpc';
  model: string;
  method: string;
  ids: number[];
  kwargs: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
}

export interface FakeOdoo {
  url: string;
  calls: RecordedCall[];
  /** Every report `tiktok.sidecar.report.tiktok_report(report=…)` received and answered, in order. */
  reports: Record<string, any>[];
  /** The answer to the next report (one each, in order); `{ok: true}` with nothing to do when none is queued. */
  answerNextReport(answer: unknown): void;
  /** Count of requests per path, e.g. `/web/version`. */
  hits: Map<string, number>;
  breakWith(b: Breakage): void;
  /** The merchant revokes the key and makes a new one: the old key stops working. */
  rotateKey(newKey: string): void;
  close(): Promise<void>;
}

// Odoo's exception classes, as far as the transports tell them apart.
type OdooException =
  | { cls: 'NotFoundModel' | 'NotFoundMethod' | 'AccessError' | 'ValidationError' | 'MissingError'; message: string }
  | { cls: 'Internal'; message: string; pyType: string };

type Outcome = { ok: unknown } | { error: OdooException };

const PARTNERS = [
  { id: 3, name: 'Mitchell Admin', email: 'admin@example.com', parent_id: false },
  { id: 52, name: 'Abigail Peterson', email: 'abigail.peterson39@example.com', parent_id: false },
  { id: 97, name: 'Abigail Carter', email: false, parent_id: [14, 'Azure Interior'] },
];

/** What the module's methods keep between calls. */
interface ModuleState {
  websites?: unknown[];
  missedPurchases: FakeMissedPurchase[];
  backfillRefused: boolean;
  reports: Record<string, any>[];
  reportAnswers: unknown[];
}

const NOTHING_TO_DO = { ok: true, send_again: [], test_events: [] };

/** A tiny slice of Odoo's ORM: enough methods to exercise each answer kind. */
function runModelMethod(
  opts: Required<Omit<FakeOdooOptions, 'websites' | 'missedPurchases' | 'backfillRefused'>>,
  state: ModuleState,
  model: string,
  method: string,
  ids: number[],
  kw: Record<string, unknown>,
): Outcome {
  const pick = (rec: Record<string, unknown>, fields: unknown) =>
    Array.isArray(fields) && fields.length
      ? Object.fromEntries([['id', rec.id], ...fields.map((f) => [String(f), rec[String(f)]])])
      : rec;
  switch (`${model}.${method}`) {
    case 'res.users.context_get':
      return { ok: { lang: 'en_US', tz: 'Europe/Brussels', uid: opts.uid } };
    case 'res.partner.search_read': {
      // Supports the one domain shape the tests use: [['id', 'in', [...]]].
      const domain = Array.isArray(kw.domain) ? (kw.domain as unknown[][]) : [];
      const idFilter = domain.find((d) => d[0] === 'id' && d[1] === 'in')?.[2] as number[] | undefined;
      const rows = PARTNERS.filter((p) => !idFilter || idFilter.includes(p.id));
      const limit = typeof kw.limit === 'number' ? kw.limit : rows.length;
      return { ok: rows.slice(0, limit).map((r) => pick(r, kw.fields)) };
    }
    case 'res.partner.read':
      // Like Odoo 19: ids that no longer exist are silently left out.
      return { ok: PARTNERS.filter((p) => ids.includes(p.id)).map((r) => pick(r, kw.fields)) };
    case 'res.partner.write': {
      const missing = ids.find((id) => !PARTNERS.some((p) => p.id === id));
      if (missing !== undefined) {
        return { error: { cls: 'MissingError', message: `Record does not exist or has been deleted.\n(Record: res.partner(${missing},), User: ${opts.uid})` } };
      }
      return { ok: true };
    }
    case 'res.partner.create': {
      const vals = (Array.isArray(kw.vals_list) ? kw.vals_list : [kw.vals_list]) as Record<string, unknown>[];
      if (vals.some((v) => !v || !v.name)) {
        return { error: { cls: 'ValidationError', message: 'The operation cannot be completed: Contacts require a name' } };
      }
      return { ok: vals.map((_, i) => 1000 + i) };
    }
    case 'payment.transaction.search_read':
      return {
        error: {
          cls: 'AccessError',
          message:
            "You are not allowed to access 'Payment Transaction' (payment.transaction) records.\n\n" +
            'This operation is allowed for the following groups:\n\t- Role / Administrator',
        },
      };
    case 'website.tiktok_sidecar_settings':
      if (opts.withModule) return { ok: state.websites ?? [{ website_id: 1, name: 'My Website', enabled: true }] };
      break;
    case 'sale.order.tiktok_claim_purchases':
      if (opts.withModule) return { ok: [] };
      break;
    case 'sale.order.tiktok_mark_purchases':
      if (opts.withModule) return { ok: 0 };
      break;
    case 'sale.order.tiktok_backfill_purchases':
      if (opts.withModule) return backfill(state, kw);
      break;
    case 'tiktok.sidecar.report.tiktok_report':
      if (!opts.withModule) return { error: { cls: 'NotFoundModel', message: model } };
      state.reports.push(kw.report as Record<string, any>);
      return { ok: state.reportAnswers.length ? state.reportAnswers.shift() : NOTHING_TO_DO };
    case 'sale.order.crash':
      return { error: { cls: 'Internal', pyType: 'KeyError', message: "'amount_total'" } };
  }
  if (!['res.users', 'res.partner', 'payment.transaction', 'website', 'sale.order', 'tiktok.sidecar.report'].includes(model)) {
    return { error: { cls: 'NotFoundModel', message: model } };
  }
  return { error: { cls: 'NotFoundMethod', message: `The method '${model}.${method}' does not exist` } };
}

function backfill(state: ModuleState, kw: Record<string, unknown>): Outcome {
  if (state.backfillRefused) return { error: { cls: 'AccessError', message: 'Only the TikTok sidecar and administrators can do this.' } };
  const maxAge = Number(kw.max_age_seconds);
  if (!Number.isInteger(maxAge) || maxAge <= 0 || maxAge > MAX_BACKFILL_AGE_SECONDS) {
    return {
      error: {
        cls: 'ValidationError',
        message: `The TikTok backfill window must be between 1 and ${MAX_BACKFILL_AGE_SECONDS} seconds (TikTok refuses older events), not ${String(kw.max_age_seconds)}.`,
      },
    };
  }
  const orders = state.missedPurchases;
  if (!kw.dry_run) state.missedPurchases = orders.filter((o) => o.outcome === 'not_paid');
  const counts = new Map<string, number>();
  for (const o of orders) if (o.outcome !== 'queued') counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
  return {
    ok: {
      dry_run: Boolean(kw.dry_run),
      since: '2026-11-18 19:00:00',
      queued: orders.filter((o) => o.outcome === 'queued').length,
      skipped: [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([reason, count]) => ({ reason, label: SKIP_LABELS[reason] ?? reason, count })),
      orders,
    },
  };
}

/** Odoo's page when no database matches (odoo/http.py NOT_FOUND_NODB). */
const NOT_FOUND_NODB = `<!DOCTYPE html>
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>No database is selected and the requested URL was not found in the server-wide controllers.</p>
<p>Please verify the hostname, <a href=/web/login>login</a> and try again.</p>

<!-- Alternatively, use the X-Odoo-Database header. -->
`;

const WERKZEUG_404 = `<!doctype html>
<html lang=en>
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>The requested URL was not found on the server.</p>
`;

function json2Error(name: string, message: string, args: unknown[]): Record<string, unknown> {
  return { name, message, arguments: args, context: {}, debug: `Traceback (most recent call last):\n  ...\n${name}: ${message}\n` };
}

/** JSON-2 rendering of an Odoo exception (odoo/http.py Json2Dispatcher.handle_error). */
function json2Render(e: OdooException): { status: number; body: Record<string, unknown> } {
  switch (e.cls) {
    case 'NotFoundModel': {
      const m = `the model '${e.message}' does not exist`;
      return { status: 404, body: json2Error('werkzeug.exceptions.NotFound', m, [m, 404]) };
    }
    case 'NotFoundMethod':
      return { status: 404, body: json2Error('werkzeug.exceptions.NotFound', e.message, [e.message, 404]) };
    case 'AccessError':
      return { status: 403, body: json2Error('odoo.exceptions.AccessError', e.message, [e.message]) };
    case 'ValidationError':
      return { status: 422, body: json2Error('odoo.exceptions.ValidationError', e.message, [e.message]) };
    case 'MissingError':
      return { status: 404, body: json2Error('odoo.exceptions.MissingError', e.message, [e.message]) };
    case 'Internal':
      return { status: 500, body: json2Error(`builtins.${e.pyType}`, e.message, [e.message]) };
  }
}

function traceback(pyType: string, message: string): string {
  return (
    'Traceback (most recent call last):\n' +
    '  File "/opt/odoo/odoo/service/model.py", line 59, in get_public_method\n' +
    `    raise ${pyType}(...)\n` +
    `${pyType}: ${message}\n`
  );
}

/** XML-RPC rendering (addons/rpc/controllers/xmlrpc.py xmlrpc_handle_exception_int). */
function xmlrpcFault(e: OdooException): { faultCode: number; faultString: string } {
  switch (e.cls) {
    case 'NotFoundModel':
      return { faultCode: 2, faultString: `Object ${e.message} doesn't exist` };
    case 'NotFoundMethod':
      return { faultCode: 1, faultString: traceback('AttributeError', e.message) };
    case 'AccessError':
      return { faultCode: 4, faultString: e.message };
    case 'ValidationError':
    case 'MissingError':
      return { faultCode: 2, faultString: e.message };
    case 'Internal':
      return { faultCode: 1, faultString: traceback(e.pyType, e.message) };
  }
}

function databaseMissingFault(db: string): { faultCode: number; faultString: string } {
  return {
    faultCode: 1,
    faultString: traceback(
      'psycopg2.OperationalError',
      `connection to server at "localhost" (127.0.0.1), port 5432 failed: FATAL:  database "${db}" does not exist`,
    ),
  };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** The request handler the `xmlrpc` package builds, detached from the server it opens. */
async function xmlrpcHandler(): Promise<{ rpc: xmlrpc.Server; handle: http.RequestListener }> {
  const rpc = await new Promise<xmlrpc.Server>((resolve) => {
    const s: xmlrpc.Server = xmlrpc.createServer({ host: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const handle = rpc.httpServer.listeners('request')[0] as http.RequestListener;
  await new Promise<void>((resolve) => rpc.httpServer.close(() => resolve()));
  return { rpc, handle };
}

export async function startFakeOdoo(options: FakeOdooOptions = {}): Promise<FakeOdoo> {
  const opts: Required<Omit<FakeOdooOptions, 'websites' | 'missedPurchases' | 'backfillRefused'>> = {
    major: options.major === undefined ? 19 : options.major,
    db: options.db ?? 'shop',
    databases: options.databases ?? [options.db ?? 'shop'],
    login: options.login ?? 'tiktok-sidecar',
    apiKey: options.apiKey ?? '0123456789abcdef0123456789abcdef01234567',
    uid: options.uid ?? 7,
    withModule: options.withModule ?? false,
  };
  const state: ModuleState = {
    websites: options.websites,
    missedPurchases: options.missedPurchases ?? [],
    backfillRefused: options.backfillRefused ?? false,
    reports: [],
    reportAnswers: [],
  };
  const calls: RecordedCall[] = [];
  const hits = new Map<string, number>();
  let breakage: Breakage = 'none';
  const hanging = new Set<http.ServerResponse>();

  const app = express();
  app.use((req, res, next) => {
    hits.set(req.path, (hits.get(req.path) ?? 0) + 1);
    if (breakage === 'hang') {
      hanging.add(res);
      return;
    }
    if (breakage === 'proxy502') {
      res.status(502).type('text/html').send('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    }
    if (breakage === 'crash500') {
      res.status(500).type('text/html').send('<html><body>Internal Server Error</body></html>');
      return;
    }
    if (breakage === 'garbage') {
      if (req.path.startsWith('/xmlrpc/')) {
        res.status(200).type('text/xml').send('<?xml version="1.0"?>\n<methodResponse><params><param><value><struct><member>');
      } else {
        res.status(200).type('application/json').send('{"lang": "en_US", "uid": ');
      }
      return;
    }
    next();
  });

  app.get('/web/version', (_req, res) => {
    if (opts.major === null) {
      res.status(404).type('text/html').send(WERKZEUG_404);
      return;
    }
    res.json({ version_info: [opts.major, 0, 0, 'final', 0, ''], version: `${opts.major}.0` });
  });

  // ---- JSON-2 (Odoo 19+) ------------------------------------------------------
  app.post('/json/2/:model/:method', express.text({ type: () => true, limit: '10mb' }), (req, res) => {
    if (opts.major === null || opts.major < 19) {
      res.status(404).type('text/html').send(WERKZEUG_404);
      return;
    }
    const headerDb = req.get('X-Odoo-Database');
    const db = headerDb ?? (opts.databases.length === 1 ? opts.databases[0] : undefined);
    if (!db || !opts.databases.includes(db) || db !== opts.db) {
      res.status(404).type('text/html').send(NOT_FOUND_NODB);
      return;
    }
    const bearer = /^bearer\s+(.+)$/i.exec(req.get('Authorization') ?? '')?.[1];
    if (bearer !== opts.apiKey) {
      res.status(401).json(json2Error('werkzeug.exceptions.Unauthorized', 'Invalid apikey', ['Invalid apikey', 401]));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = req.body ? (JSON.parse(String(req.body)) as Record<string, unknown>) : {};
    } catch (err) {
      const m = `could not parse the body as json: ${(err as Error).message}`;
      res.status(400).json(json2Error('werkzeug.exceptions.BadRequest', m, [m, 400]));
      return;
    }
    const { ids = [], context: _context, ...kwargs } = body as { ids?: number[]; context?: unknown };
    const model = String(req.params.model);
    const method = String(req.params.method);
    calls.push({ transport: 'json2', model, method, ids, kwargs: { ...kwargs, ...(body.context ? { context: body.context } : {}) }, headers: req.headers });
    const outcome = runModelMethod(opts, state, model, method, ids, kwargs);
    if ('ok' in outcome) {
      res.status(200).json(outcome.ok);
      return;
    }
    const { status, body: errBody } = json2Render(outcome.error);
    res.status(status).json(errBody);
  });

  // ---- XML-RPC (every version; deprecated in 19) ------------------------------
  const { rpc, handle } = await xmlrpcHandler();
  type Reply = (error: unknown, value?: unknown) => void;
  rpc.on('version', (_e: unknown, _p: unknown[], reply: Reply) => {
    const major = opts.major ?? 16;
    reply(null, { server_version: `${major}.0`, server_version_info: [major, 0, 0, 'final', 0, ''], server_serie: `${major}.0`, protocol_version: 1 });
  });
  rpc.on('list', (_e: unknown, _p: unknown[], reply: Reply) => reply(null, opts.databases));
  rpc.on('authenticate', (_e: unknown, p: unknown[], reply: Reply) => {
    const [db, login, key] = p as [string, string, string];
    if (!opts.databases.includes(db)) return reply(databaseMissingFault(db));
    // Odoo answers False, not a fault, for a wrong login or key.
    reply(null, db === opts.db && login === opts.login && key === opts.apiKey ? opts.uid : false);
  });
  rpc.on('execute_kw', (_e: unknown, p: unknown[], reply: Reply) => {
    const [db, uid, key, model, method, args = [], kwargs = {}] = p as [string, number, string, string, string, unknown[], Record<string, unknown>];
    if (!opts.databases.includes(db)) return reply(databaseMissingFault(db));
    if (uid !== opts.uid || key !== opts.apiKey) return reply({ faultCode: 3, faultString: 'Access Denied' });
    const ids = Array.isArray(args[0]) ? (args[0] as number[]) : [];
    calls.push({ transport: 'xmlrpc', model, method, ids, kwargs, headers: {} });
    const { context: _context, ...plainKwargs } = kwargs;
    const outcome = runModelMethod(opts, state, model, method, ids, plainKwargs);
    if ('ok' in outcome) return reply(null, outcome.ok);
    reply(xmlrpcFault(outcome.error));
  });
  app.post('/xmlrpc/2/:service', (req, res) => handle(req, res));

  const server = http.createServer(app);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    reports: state.reports,
    answerNextReport(answer: unknown) {
      state.reportAnswers.push(answer);
    },
    hits,
    breakWith(b: Breakage) {
      breakage = b;
    },
    rotateKey(newKey: string) {
      opts.apiKey = newKey;
    },
    close() {
      for (const res of hanging) res.destroy();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** A port nothing listens on: connections are refused at once. */
export async function refusedPort(): Promise<number> {
  const s = http.createServer();
  const port = await listen(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A single-route HTTP server, for answers no Odoo gives but proxies and stray servers do. */
export async function startHttpStub(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Any HTTP server that is not Odoo (a stray web server on the configured port). */
export function startNotOdoo(): Promise<{ url: string; close(): Promise<void> }> {
  return startHttpStub((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/html' });
    res.end('<html><body>nginx default page</body></html>');
  });
}

/** The OdooError a call fails with; any other outcome fails the test. */
export async function failure(p: Promise<unknown>): Promise<OdooError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OdooError) return err;
    throw new Error(`expected an OdooError, got ${inspect(err)}`, { cause: err });
  }
  throw new Error('expected the call to fail');
}
