import fs from 'node:fs';
import path from 'node:path';

/** Room on the outbox's filesystem, and the least it must keep. */
export interface OutboxSpace {
  /** Bytes an unprivileged writer may still use; undefined when the filesystem does not say. */
  freeBytes: () => number | undefined;
  minFreeBytes: number;
}

export interface WriteHealthCheck {
  writable: boolean;
  error?: string;
  /** Free bytes on the outbox's filesystem when known. */
  freeBytes?: number;
}

/**
 * Whether the outbox takes writes, as /healthz reports it. Two signals, because a
 * small write says little about the next real one on a full disk: a failed write
 * that SQLite appended to the WAL stretches the WAL file, and later small writes
 * (a probe, a single event) fit in that stretch while a batch does not.
 *
 * - Real writes (relay commits, the dispatcher's settlements): a failure makes
 *   the sidecar unhealthy until a later write succeeds. When none was tried for a
 *   while, a probe write decides, so an idle sidecar also notices a read-only file
 *   or an I/O error, and the recovery.
 * - Room on the filesystem (`statfs`): below the minimum the sidecar is unhealthy
 *   whatever the writes say, so a full disk shows on an idle shop too.
 */
export class OutboxWriteHealth {
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private failure?: string;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly clock: () => number = Date.now,
    private readonly probeAfterIdleMs = 10_000,
    private readonly space?: OutboxSpace,
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
  async check(): Promise<WriteHealthCheck> {
    if (this.clock() - this.lastAttemptAt >= this.probeAfterIdleMs) {
      try {
        await this.probe();
        this.succeeded();
      } catch (err) {
        this.failed(err);
      }
    }
    const freeBytes = this.space?.freeBytes();
    const known = freeBytes === undefined ? {} : { freeBytes };
    // A filesystem below its minimum explains a failed write better than SQLite's code for it (SQLITE_FULL).
    if (freeBytes !== undefined && freeBytes < this.space!.minFreeBytes) {
      return { writable: false, error: `disk full: ${megabytes(freeBytes)} MB free, less than the ${megabytes(this.space!.minFreeBytes)} MB kept (OUTBOX_MIN_FREE_MB)`, ...known };
    }
    if (this.failure !== undefined) return { writable: false, error: this.failure, ...known };
    return { writable: true, ...known };
  }
}

function megabytes(bytes: number): number {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

/**
 * The room left on the filesystem holding `file` (the directory is asked: the file
 * may not exist yet). Undefined when it cannot be known (an in-memory outbox, a
 * filesystem `statfs` does not describe).
 */
export function freeBytesBeside(file: string): () => number | undefined {
  if (file === ':memory:') return () => undefined;
  const dir = path.dirname(path.resolve(file));
  return () => {
    try {
      const stats = fs.statfsSync(dir);
      // Some network and FUSE filesystems answer with zeros: that is "unknown", not "full".
      return stats.blocks > 0 ? stats.bavail * stats.bsize : undefined;
    } catch {
      return undefined;
    }
  };
}

/** SQLite's code (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR_…) says what an operator needs; the message holds no data. */
export function describeWriteError(err: unknown): string {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message.slice(0, 200) : 'unknown error';
}
