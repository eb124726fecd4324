import os from 'node:os';

/**
 * The replica's name in Odoo (purchase claims, reports, dead letters) when
 * `SIDECAR_REPLICA_ID` is not set: the host's, the same across restarts. Two
 * replicas on one host need the variable (a container's host name changes when
 * it is recreated: the compose file sets it).
 */
export function defaultReplicaId(): string {
  return os.hostname().slice(0, 128) || 'sidecar';
}
