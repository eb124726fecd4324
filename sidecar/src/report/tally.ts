import type { ReportTestEvent } from '../contract/report';
import { Interval, type SettledRow } from './interval';

/** What the dispatcher tells the report about the rows it settles. */
export interface DeliveryTally {
  delivered(rows: readonly SettledRow[], now: number): void;
  retried(rows: readonly Pick<SettledRow, 'pixelId' | 'event'>[]): void;
  dead(rows: readonly Pick<SettledRow, 'pixelId' | 'event'>[]): void;
}

/**
 * The counts since the last report Odoo acknowledged, in memory: a crash loses
 * at most what was not acknowledged yet. `take()` hands out everything not
 * acknowledged (a failed report's counts included) and starts a fresh interval
 * for what happens while the report is on its way; `acknowledge()` forgets what
 * was taken. A report that fails is simply not acknowledged: the next `take()`
 * folds it in, so every count reaches Odoo once.
 */
export class ReportTally implements DeliveryTally {
  private current = new Interval();
  private unacknowledged?: Interval;

  /** Events newly stored in the outbox (`stored[i]` false: a duplicate, not counted). */
  accepted(events: readonly { pixelId: string; event: string }[], stored: readonly boolean[]): void {
    for (let i = 0; i < events.length; i++) if (stored[i]) this.current.count(events[i].pixelId, events[i].event, 'accepted');
  }

  delivered(rows: readonly SettledRow[], now: number): void {
    for (const row of rows) this.current.delivered(row, now);
  }

  retried(rows: readonly Pick<SettledRow, 'pixelId' | 'event'>[]): void {
    for (const row of rows) this.current.count(row.pixelId, row.event, 'retried');
  }

  dead(rows: readonly Pick<SettledRow, 'pixelId' | 'event'>[]): void {
    for (const row of rows) this.current.count(row.pixelId, row.event, 'dead');
  }

  testEventAnswered(answer: ReportTestEvent): void {
    this.current.testEvents.push(answer);
  }

  /** Everything not acknowledged yet; later counts go to a fresh interval. One report at a time. */
  take(): Interval {
    const taken = this.current;
    this.current = new Interval();
    if (this.unacknowledged) {
      this.unacknowledged.add(taken);
      return this.unacknowledged;
    }
    this.unacknowledged = taken;
    return taken;
  }

  /** Odoo has the counts of `taken`: they are never reported again. */
  acknowledge(taken: Interval): void {
    if (this.unacknowledged === taken) this.unacknowledged = undefined;
  }
}
