/** The sidecar's Odoo client: one interface, a JSON-2 and an XML-RPC transport. */
export { connectOdoo, probeOdooVersion } from './connect';
export { OdooError, isOdooError, isRetryableKind, type OdooErrorKind } from './errors';
export { Json2Transport } from './json2';
export { XmlRpcTransport } from './xmlrpc';
export { parseOdooVersion, pickTransport, normalizeBaseUrl, type OdooVersion } from './version';
export type {
  ConnectedOdoo,
  OdooCallParams,
  OdooConnectionConfig,
  OdooLogger,
  OdooTransport,
  TransportChoice,
} from './types';
