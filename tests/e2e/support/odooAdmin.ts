/**
 * Administrator calls into the Odoo under test (XML-RPC with admin/admin of the
 * demo data): the suites arrange their data the way a merchant would, through
 * the models, never by writing SQL.
 */
import { inspect } from 'node:util';
import * as xmlrpc from 'xmlrpc';

export interface OdooAdmin {
  call<T = unknown>(model: string, method: string, args?: unknown[], kwargs?: Record<string, unknown>): Promise<T>;
  /** ir.config_parameter value (as the admin sees it). */
  param(key: string): Promise<string | false>;
}

function methodCall(url: URL, path: string, method: string, params: unknown[]): Promise<unknown> {
  const client = xmlrpc.createClient({ host: url.hostname, port: Number(url.port || 80), path });
  return new Promise((resolve, reject) => {
    client.methodCall(method, params, (err: unknown, value: unknown) => (err ? reject(err instanceof Error ? err : new Error(inspect(err))) : resolve(value)));
  });
}

export async function connectAdmin(baseUrl: string, db: string, login = 'admin', password = 'admin'): Promise<OdooAdmin> {
  const url = new URL(baseUrl);
  const uid = (await methodCall(url, '/xmlrpc/2/common', 'authenticate', [db, login, password, {}])) as number | false;
  if (!uid) throw new Error(`could not log in to ${baseUrl} (${db}) as ${login}`);
  const admin: OdooAdmin = {
    async call<T>(model: string, method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) {
      return (await methodCall(url, '/xmlrpc/2/object', 'execute_kw', [db, uid, password, model, method, args, kwargs])) as T;
    },
    async param(key: string) {
      return admin.call<string | false>('ir.config_parameter', 'get_param', [key]);
    },
  };
  return admin;
}

/** Odoo datetimes are naive UTC "YYYY-MM-DD HH:MM:SS". */
export function odooDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
