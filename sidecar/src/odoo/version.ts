import type { TransportChoice } from './types';

export interface OdooVersion {
  major: number;
  /** e.g. "19.0", "saas~18.3" */
  label: string;
}

/**
 * Reads Odoo's version from `GET /web/version` (`{version_info: [19, 0, ...], version: "19.0"}`)
 * or XML-RPC `common.version()` (`{server_version_info: [...], server_version: "..."}`).
 * Undefined when the body is not one of those: whatever answered is not Odoo.
 */
export function parseOdooVersion(body: unknown): OdooVersion | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const info = b.version_info ?? b.server_version_info;
  const label = b.version ?? b.server_version;
  if (!Array.isArray(info) || typeof info[0] !== 'number' || !Number.isInteger(info[0])) return undefined;
  return { major: info[0], label: typeof label === 'string' ? label : String(info[0]) };
}

/** JSON-2 exists from Odoo 19 on; before that only XML-RPC (and JSON-RPC) serve external calls. */
export const FIRST_JSON2_MAJOR = 19;

export function pickTransport(choice: TransportChoice, version: OdooVersion): 'json2' | 'xmlrpc' {
  if (choice !== 'auto') return choice;
  return version.major >= FIRST_JSON2_MAJOR ? 'json2' : 'xmlrpc';
}

/** Base URL without trailing slashes; keeps a path prefix (Odoo behind a proxy at /odoo). */
export function normalizeBaseUrl(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (u.username || u.password || u.search || u.hash) return undefined;
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}
