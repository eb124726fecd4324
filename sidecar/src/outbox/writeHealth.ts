/**
 * Whether the outbox takes writes, as /healthz reports it: the outcome of the
 * latest write attempt (a relay commit or a probe). A failed write (SQLITE_FULL,
 * a read-only file, an I/O error) makes the sidecar unhealthy until a later one
 * succeeds. Under traffic the relay's own commits decide; when none was tried
 * for a while, one tiny probe write does, so an idle sidecar also notices both
 * the failure and the recovery.
 */
export class OutboxWriteHealth {
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private failure?: string;

  constructor(
    private readonly probe: () => void,
    private readonly clock: () => number = Date.now,
    private readonly probeAfterIdleMs = 10_000,
  ) {}

  succeeded(): void {
    this.failure = undefined;
    this.lastAttemptAt = this.clock();
  }

  failed(err: unknown): void {
    this.failure = describeWriteError(err);
    this.lastAttemptAt = this.clock();
  }

  /** Writable now? Probes first when no write was attempted for `probeAfterIdleMs`. */
  check(): { writable: boolean; error?: string } {
    if (this.clock() - this.lastAttemptAt >= this.probeAfterIdleMs) {
      try {
        this.probe();
        this.succeeded();
      } catch (err) {
        this.failed(err);
      }
    }
    return this.failure === undefined ? { writable: true } : { writable: false, error: this.failure };
  }
}

/** SQLite's code (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR_…) says what an operator needs; the message holds no data. */
function describeWriteError(err: unknown): string {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message.slice(0, 200) : 'unknown error';
}
