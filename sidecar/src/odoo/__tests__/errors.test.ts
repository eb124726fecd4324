import {
  faultMessage,
  isRetryableKind,
  json2HttpError,
  networkError,
  OdooError,
  parseJson2ErrorBody,
  xmlRpcFaultError,
  type OdooErrorKind,
} from '../errors';
import { normalizeBaseUrl, parseOdooVersion, pickTransport } from '../version';

const target = { url: 'http://odoo:8069', db: 'shop', login: 'tiktok-sidecar' };

// Answers recorded from a live Odoo 19.0 (debug tracebacks shortened).
const REAL = {
  json2: {
    badKey: [401, '{"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey", "arguments": ["Invalid apikey", 401], "context": {}, "debug": "Traceback ..."}'],
    noMethod: [404, `{"name": "werkzeug.exceptions.NotFound", "message": "The method 'website.tiktok_sidecar_settings' does not exist", "arguments": ["The method 'website.tiktok_sidecar_settings' does not exist", 404], "context": {}, "debug": "..."}`],
    noModel: [404, `{"name": "werkzeug.exceptions.NotFound", "message": "the model 'x.nope' does not exist", "arguments": ["the model 'x.nope' does not exist", 404], "context": {}, "debug": "..."}`],
    privateMethod: [403, `{"name": "odoo.exceptions.AccessError", "message": "Private methods (such as 'res.partner._compute_display_name') cannot be called remotely.", "arguments": [], "context": {}, "debug": "..."}`],
    validation: [422, '{"name": "odoo.exceptions.ValidationError", "message": "The operation cannot be completed: Contacts require a name", "arguments": [], "context": {}, "debug": "..."}'],
    missingRecord: [404, '{"name": "odoo.exceptions.MissingError", "message": "Record does not exist or has been deleted.\\n(Record: res.partner(999999,), User: 2)", "arguments": [], "context": {}, "debug": "..."}'],
    badKwarg: [500, `{"name": "builtins.TypeError", "message": "BaseModel._read_format() got an unexpected keyword argument 'bogus'", "arguments": [], "context": {}, "debug": "..."}`],
    badJson: [400, '{"name": "werkzeug.exceptions.BadRequest", "message": "could not parse the body as json: Expecting value", "arguments": [], "context": {}, "debug": "..."}'],
    noDatabase: [
      404,
      '<!DOCTYPE html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>No database is selected and the requested URL was not found in the server-wide controllers.</p>',
    ],
  } as Record<string, [number, string]>,
  xmlrpc: {
    badKey: [3, 'Access Denied'],
    noDatabase: [
      1,
      'Traceback (most recent call last):\n  File "/odoo/sql_db.py", line 122, in connect\n    conn = _connect(dsn)\npsycopg2.OperationalError: connection to server at "localhost" (127.0.0.1), port 5432 failed: FATAL:  database "nodb" does not exist\n\n',
    ],
    noMethod: [
      1,
      `Traceback (most recent call last):\n  File "/odoo/service/model.py", line 59, in get_public_method\n    raise AttributeError(f"The method '{model._name}.{name}' does not exist")  # noqa: TRY004\n    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\nAttributeError: The method 'website.tiktok_sidecar_settings' does not exist\n`,
    ],
    olderNoMethod: [1, `Traceback (most recent call last):\n  File "x.py", line 1\nAttributeError: 'website' object has no attribute 'tiktok_sidecar_settings'\n`],
    noModel: [2, "Object x.nope doesn't exist"],
    privateMethod: [4, "Private methods (such as 'res.partner._compute_display_name') cannot be called remotely."],
    validation: [2, 'The operation cannot be completed: Contacts require a name'],
    missingRecord: [2, 'Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)'],
    crash: [1, "Traceback (most recent call last):\n  File \"x.py\", line 3\nKeyError: 'amount_total'\n"],
  } as Record<string, [number, string]>,
};

describe('json2HttpError maps Odoo 19 answers', () => {
  it.each<[string, OdooErrorKind]>([
    ['badKey', 'bad_credentials'],
    ['noMethod', 'missing_module'],
    ['noModel', 'missing_module'],
    ['privateMethod', 'access_denied'],
    ['validation', 'validation'],
    ['missingRecord', 'validation'],
    ['badKwarg', 'server_error'],
    ['badJson', 'validation'],
    ['noDatabase', 'wrong_database'],
  ])('%s → %s', (key, kind) => {
    const [status, body] = REAL.json2[key];
    const err = json2HttpError(target, status, body, 'website', 'tiktok_sidecar_settings');
    expect(err).toBeInstanceOf(OdooError);
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(status);
  });

  it('keeps Odoo’s exception name and message but not its traceback', () => {
    const [status, body] = REAL.json2.validation;
    const err = json2HttpError(target, status, body, 'res.partner', 'create');
    expect(err.odooName).toBe('odoo.exceptions.ValidationError');
    expect(err.message).toBe("Odoo at http://odoo:8069 (database 'shop') rejected res.partner.create: The operation cannot be completed: Contacts require a name");
    expect(err.message).not.toContain('debug');
  });

  it('calls a 404 without Odoo’s JSON a wrong URL (no JSON-2 endpoint there)', () => {
    const err = json2HttpError(target, 404, '<html>nginx</html>', 'res.users', 'context_get');
    expect(err.kind).toBe('bad_url');
    expect(err.message).toContain('ODOO_TRANSPORT=xmlrpc');
  });

  it('calls a 413 a refusal of the request, from Odoo or from a proxy\'s page: the same body would be refused again', () => {
    const fromProxy = json2HttpError(target, 413, '<html><center>413 Request Entity Too Large</center></html>', 'tiktok.sidecar.report', 'tiktok_report');
    expect([fromProxy.kind, fromProxy.retryable]).toEqual(['validation', false]);
    expect(fromProxy.message).toContain('HTTP 413');
    const fromOdoo = json2HttpError(target, 413, '{"name": "werkzeug.exceptions.RequestEntityTooLarge", "message": "413 Request Entity Too Large"}', 'tiktok.sidecar.report', 'tiktok_report');
    expect(fromOdoo.kind).toBe('validation');
  });

  it('treats a LockError (409) as a retryable conflict', () => {
    const err = json2HttpError(target, 409, '{"name": "odoo.exceptions.LockError", "message": "locked"}', 'sale.order', 'write');
    expect(err.retryable).toBe(true);
  });

  it('parses only Odoo-shaped error bodies', () => {
    expect(parseJson2ErrorBody('{"name": "x.Y", "message": "m", "debug": "tb"}')).toEqual({ name: 'x.Y', message: 'm', arguments: undefined });
    expect(parseJson2ErrorBody('[1,2]')).toBeUndefined();
    expect(parseJson2ErrorBody('<html>')).toBeUndefined();
  });
});

describe('xmlRpcFaultError maps Odoo faults', () => {
  it.each<[string, OdooErrorKind]>([
    ['badKey', 'bad_credentials'],
    ['noDatabase', 'wrong_database'],
    ['noMethod', 'missing_module'],
    ['olderNoMethod', 'missing_module'],
    ['noModel', 'missing_module'],
    ['privateMethod', 'access_denied'],
    ['validation', 'validation'],
    ['missingRecord', 'validation'],
    ['crash', 'server_error'],
  ])('%s → %s', (key, kind) => {
    const [code, text] = REAL.xmlrpc[key];
    expect(xmlRpcFaultError(target, code, text, 'website', 'tiktok_sidecar_settings').kind).toBe(kind);
  });

  it('reduces a traceback to its last line', () => {
    expect(faultMessage(REAL.xmlrpc.noMethod[1])).toEqual({
      exception: 'AttributeError',
      message: "The method 'website.tiktok_sidecar_settings' does not exist",
    });
    expect(faultMessage('Access Denied')).toEqual({ message: 'Access Denied' });
    expect(faultMessage(REAL.xmlrpc.missingRecord[1]).message).toBe(REAL.xmlrpc.missingRecord[1]);
  });
});

describe('retryability and network errors', () => {
  it('retries only what waiting can fix', () => {
    const all: OdooErrorKind[] = ['unreachable', 'bad_url', 'wrong_database', 'bad_credentials', 'missing_module', 'access_denied', 'validation', 'server_error', 'bad_response'];
    expect(all.filter(isRetryableKind)).toEqual(['unreachable', 'server_error', 'bad_response']);
  });

  it.each([
    [{ code: 'ECONNREFUSED' }, 'connection refused'],
    [{ code: 'ECONNABORTED', message: 'timeout of 500ms exceeded' }, 'no answer within 500 ms'],
    [{ name: 'AbortError' }, 'no answer within 500 ms'],
    [{ code: 'ENOTFOUND' }, 'host name does not resolve'],
    [{ code: 'ECONNRESET' }, 'ECONNRESET'],
  ])('%j → unreachable (%s)', (err, reason) => {
    const e = networkError(target, err, 500);
    expect(e.kind).toBe('unreachable');
    expect(e.retryable).toBe(true);
    expect(e.message).toContain(`(${reason})`);
  });
});

describe('version handling', () => {
  it('reads /web/version and common.version() answers', () => {
    expect(parseOdooVersion({ version_info: [19, 0, 0, 'final', 0, ''], version: '19.0' })).toEqual({ major: 19, label: '19.0' });
    expect(parseOdooVersion({ server_version_info: [17, 0, 0, 'final', 0, ''], server_version: '17.0' })).toEqual({ major: 17, label: '17.0' });
    expect(parseOdooVersion({ server_version_info: ['saas~18', 3] })).toBeUndefined();
    expect(parseOdooVersion('<html>')).toBeUndefined();
    expect(parseOdooVersion(null)).toBeUndefined();
  });

  it.each([
    ['auto', 19, 'json2'],
    ['auto', 20, 'json2'],
    ['auto', 18, 'xmlrpc'],
    ['auto', 17, 'xmlrpc'],
    ['xmlrpc', 19, 'xmlrpc'],
    ['json2', 17, 'json2'],
  ] as const)('%s on Odoo %d → %s', (choice, major, expected) => {
    expect(pickTransport(choice, { major, label: `${major}.0` })).toBe(expected);
  });

  it('normalizes base URLs and refuses what is not one', () => {
    expect(normalizeBaseUrl('http://odoo:8069/')).toBe('http://odoo:8069');
    expect(normalizeBaseUrl(' https://shop.example/odoo// ')).toBe('https://shop.example/odoo');
    expect(normalizeBaseUrl('https://shop.example:443')).toBe('https://shop.example');
    expect(normalizeBaseUrl('odoo:8069')).toBeUndefined();
    expect(normalizeBaseUrl('http://a:b@odoo')).toBeUndefined();
  });
});
