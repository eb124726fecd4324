/** How the sidecar reaches Odoo. `auto` picks JSON-2 on Odoo 19 and later, XML-RPC before. */
export type TransportChoice = 'auto' | 'json2' | 'xmlrpc';

export interface OdooConnectionConfig {
  /** Base URL of the Odoo server, e.g. http://127.0.0.1:8069 (a path prefix behind a proxy is kept). */
  url: string;
  /** Database name; JSON-2 may omit it when Odoo serves a single database. */
  db?: string;
  login: string;
  apiKey: string;
  transport: TransportChoice;
  /** Per request; an Odoo that does not answer in time is treated as unreachable. */
  timeoutMs?: number;
}

export interface OdooCallParams {
  /** Record ids the method runs on (`self`); omit for `@api.model` methods. */
  ids?: number[];
  /** Named arguments of the method. JSON-2 only knows named arguments, so both transports use them. */
  kwargs?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

export interface OdooTransport {
  readonly kind: 'json2' | 'xmlrpc';
  /** Call a model method: positional ids + keyword args. Rejects with an `OdooError`. */
  call<T = unknown>(model: string, method: string, params?: OdooCallParams): Promise<T>;
}

/** A transport after a successful version probe and login. */
export interface ConnectedOdoo extends OdooTransport {
  /** The Odoo user the API key belongs to. */
  readonly uid: number;
  /** As `/web/version` reports it, e.g. "19.0". */
  readonly serverVersion: string;
  /** Releases kept-alive sockets (for a clean shutdown). */
  close(): void;
}

/** Structured logging in the shape pino uses (object first, message second). */
export interface OdooLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** What an error message needs to tell the merchant which setting to fix. Never holds the key. */
export interface OdooTarget {
  url: string;
  db?: string;
  login: string;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
