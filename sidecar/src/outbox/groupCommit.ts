import { summarizeEnqueue, type EnqueueResult, type NewOutboxEvent, type OutboxStore } from './store';

interface Waiting {
  events: NewOutboxEvent[];
  resolve: (r: EnqueueResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects the inserts of every request that arrives within one turn of the event
 * loop and commits them in one SQLite transaction. Each caller's promise settles
 * only after that commit, so the relay still answers "accepted" only once the
 * event is durable, but a burst of requests costs one commit instead of hundreds.
 */
export class GroupCommitWriter {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly clock: () => number = Date.now,
    private readonly onCommit: (result: EnqueueResult) => void = () => {},
  ) {}

  enqueue(events: NewOutboxEvent[]): Promise<EnqueueResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit what is waiting now (also called at shutdown). */
  flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    let stored: boolean[];
    try {
      stored = this.store.enqueue(batch.flatMap((w) => w.events), this.clock());
    } catch (err) {
      batch.forEach((w) => w.reject(err));
      return;
    }
    let offset = 0;
    for (const w of batch) {
      w.resolve(summarizeEnqueue(stored.slice(offset, offset + w.events.length)));
      offset += w.events.length;
    }
    this.onCommit(summarizeEnqueue(stored));
  }
}
