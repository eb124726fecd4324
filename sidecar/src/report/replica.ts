import os from 'node:os';

/** The replica's name in Odoo (purchase claims, reports) when `SIDECAR_REPLICA_ID` is not set. */
export function defaultReplicaId(): string {
  return `${os.hostname()}:${process.pid}`;
}
