import { summarizeEnqueue, type EnqueueResult, type EventQueue, type NewOutboxEvent } from './eventQueue';
import type { CheckedOutboxEvent } from './rowGate';

const MAX_BUSY_RETRIES = 50;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED';
}

interface Waiting {
  events: NewOutboxEvent[];
  resolve: (r: EnqueueResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects the inserts of every request that arrives within one turn of the event
 * loop and commits them in one transaction. Each caller's promise settles only
 * after that commit, so the relay still answers "accepted" only once the event is
 * durable, but a burst of requests costs one commit instead of hundreds. While a
 * commit is under way (an outbox on the network), what arrives waits for the next
 * one: one commit at a time, each carrying everything that came meanwhile.
 */
export class GroupCommitWriter {
  private waiting: Waiting[] = [];
  private scheduled = false;
  /** The commit under way, if any. */
  private committing?: Promise<void>;

  constructor(
    private readonly queue: Pick<EventQueue, 'enqueue'>,
    private readonly clock: () => number = Date.now,
    /** After each commit, with what was stored (`stored[i]` false: a duplicate). */
    private readonly onCommit: (events: NewOutboxEvent[], stored: boolean[]) => void = () => {},
  ) {}

  /** Only rows the outbox's gate checked (`rowGate.ts`) come in. */
  enqueue(events: CheckedOutboxEvent[]): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Commit what is waiting now, after the commit under way (also called at shutdown); resolves once both are done. */
  async flush(): Promise<void> {
    this.scheduled = false;
    while (this.committing) await this.committing;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    this.committing = this.commit(batch, 0).finally(() => (this.committing = undefined));
    await this.committing;
  }

  private async commit(batch: Waiting[], attempt: number): Promise<void> {
    const events = batch.flatMap((w) => w.events);
    let stored: boolean[];
    try {
      stored = await this.queue.enqueue(events, this.clock());
    } catch (err) {
      // A moment of lock contention (another connection on the file) is not a failure to store.
      if (isBusy(err) && attempt < MAX_BUSY_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, 2 * (attempt + 1)));
        return this.commit(batch, attempt + 1);
      }
      batch.forEach((w) => w.reject(err));
      return;
    }
    let offset = 0;
    for (const w of batch) {
      w.resolve(summarizeEnqueue(stored.slice(offset, offset + w.events.length)));
      offset += w.events.length;
    }
    this.onCommit(events, stored);
  }
}
