import { createHash, timingSafeEqual } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Who may read the operations endpoints. `/healthz` tells anyone whether the
 * sidecar is up; its details and `/metrics` (outbox counts, memory, traffic)
 * are for whoever holds the operations token, or reaches the operations port.
 */
export type OpsAccess = 'granted' | 'anonymous' | 'refused';

/**
 * The operations routes, served on the relay port and on OPS_PORT. The probes
 * (see probes.ts): `/healthz` both, `/readyz` readiness (takes traffic?),
 * `/livez` liveness (makes progress?). Deployment files probe these paths.
 */
export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const LIVE_PATH = '/livez';
export const PROBE_PATHS = [HEALTH_PATH, READY_PATH, LIVE_PATH] as const;
export type ProbePath = (typeof PROBE_PATHS)[number];
export const METRICS_PATH = '/metrics';
export const OPS_PATHS = [...PROBE_PATHS, METRICS_PATH] as const;

/** Shortest operations token accepted (declared once: config and docs derive from it). */
export const OPS_TOKEN_MIN_LENGTH = 32;

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other form. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * Without a configured token nobody is granted and the header is ignored, so a
 * proxy's own credentials never turn a health probe into a 401.
 */
export function opsAccess(authorization: string | undefined, token: string | undefined): OpsAccess {
  if (!token || authorization === undefined) return 'anonymous';
  const given = bearerToken(authorization);
  return given !== undefined && sameSecret(given, token) ? 'granted' : 'refused';
}

/** Digests have one length whatever the inputs: the comparison's time tells nothing about the token. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export const OPS_UNAUTHORIZED = {
  error: 'unauthorized',
  detail: 'send the operations token as "Authorization: Bearer <OPS_TOKEN>"',
} as const;

/** Why `/metrics` is closed on the relay port, and how to open it. */
export function metricsClosed(cfg: { OPS_TOKEN?: string; OPS_HOST: string; OPS_PORT?: number }): { status: 401 | 404; body: { error: string; detail: string } } {
  if (cfg.OPS_TOKEN) return { status: 401, body: OPS_UNAUTHORIZED };
  if (cfg.OPS_PORT !== undefined) {
    return { status: 404, body: { error: 'not_found', detail: `metrics are served on the operations port (OPS_HOST:OPS_PORT, ${cfg.OPS_HOST}:${cfg.OPS_PORT})` } };
  }
  return {
    status: 404,
    body: {
      error: 'metrics_off',
      detail: `metrics are off: set OPS_TOKEN (at least ${OPS_TOKEN_MIN_LENGTH} characters) and send "Authorization: Bearer <OPS_TOKEN>", or set OPS_PORT to serve them on a separate port`,
    },
  };
}

/**
 * The budget of operations requests per minute and client address for callers
 * without the operations token (a monitor probes a few times a minute; with the
 * token, nothing is counted). Resolves with the seconds to wait when it is spent,
 * undefined otherwise; `perMinute` 0 turns it off.
 */
export function opsBudget(perMinute: number): (client: string) => Promise<number | undefined> {
  if (perMinute <= 0) return async () => undefined;
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  return async (client) => {
    try {
      await limiter.consume(client, 1);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rejection;
    }
  };
}

export const OPS_RATE_LIMITED = (perMinute: number) => ({
  error: 'rate_limited',
  detail: `more than ${perMinute} operations requests a minute from this address without the operations token`,
});
