import type { Logger } from 'pino';

/**
 * How long a stop may take before the process gives up: the drain's grace
 * period, one last Events API call, and time to close. Past that, something
 * hangs. A deployment's termination grace period must exceed it.
 */
export function hardStopAfterMs(cfg: { SHUTDOWN_GRACE_MS: number; TIKTOK_TIMEOUT_MS: number }): number {
  return cfg.SHUTDOWN_GRACE_MS + cfg.TIKTOK_TIMEOUT_MS + 10_000;
}

export interface ShutdownOptions {
  /** Past this, the process exits even though the stop has not finished (a hung call). */
  hardStopAfterMs: number;
  exit?: (code: number) => void;
}

/**
 * SIGTERM and SIGINT stop the sidecar gracefully: intake stops, what is due is
 * delivered, the outbox is closed, exit 0. Nothing waits forever: a stop that
 * fails or outlasts `hardStopAfterMs`, or a second signal, ends the process with
 * exit 1. Nothing is lost then either: every accepted event is in the outbox, and
 * the next start sends what was not settled (with the same event id).
 */
export function stopOnSignals(stop: () => Promise<void>, log: Logger, opts: ShutdownOptions): void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now; events not yet settled stay in the outbox for the next start');
      return exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: intake stopped, flushing the outbox');
    const watchdog = setTimeout(() => {
      log.error({ afterMs: opts.hardStopAfterMs }, 'shutdown is taking too long: exiting; events not yet settled stay in the outbox for the next start');
      exit(1);
    }, opts.hardStopAfterMs);
    watchdog.unref();
    stop().then(
      () => {
        clearTimeout(watchdog);
        log.info('stopped');
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(watchdog);
        log.error({ error: (err as Error)?.message ?? String(err) }, 'shutdown failed: exiting; events not yet settled stay in the outbox for the next start');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
