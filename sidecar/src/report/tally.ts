import type { ReportTestEvent } from '../contract/report';
import type { PixelState } from '../contract/relay';
import { isWebLane } from '../tiktok/lane';
import type { DeliveryTally, SettledRow } from '../dispatcher/dispatcher';
import { Interval } from './interval';

/** An interval of counts handed to one report, under its sequence number. */
export interface TakenInterval {
  seq: number;
  interval: Interval;
}

/**
 * The counts since the last report Odoo acknowledged, in memory: a crash loses
 * at most what was not acknowledged yet. `take()` hands out the interval to
 * report under a sequence number and starts a fresh one for what happens
 * meanwhile; `acknowledge()` forgets it. A report that got no answer may still
 * have been committed by Odoo, so the next `take()` hands out the SAME interval
 * under the SAME number, and Odoo, which remembers the last number it applied
 * per replica, adds its counts once (docs/CONTRACTS.md §7).
 */
export class ReportTally implements DeliveryTally {
  private current = new Interval();
  private unacknowledged?: TakenInterval;
  private nextSeq = 1;

  /** Events newly stored in the outbox (`stored[i]` false: a duplicate, not counted). */
  // Only web lanes are counted: the report's contract (§7) knows pixels and the web's event
  // names; events of other sources are followed in Odoo's own queue of them.

  accepted(events: readonly { pixelId: string; event: string; pixel?: PixelState }[], stored: readonly boolean[]): void {
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (stored[i] && isWebLane(e.pixelId)) this.current.accepted(e.pixelId, e.event, e.pixel);
    }
  }

  delivered(rows: readonly SettledRow[], now: number): void {
    for (const row of rows) if (isWebLane(row.pixelId)) this.current.delivered(row, now);
  }

  retried(rows: readonly Pick<SettledRow, 'pixelId' | 'event'>[]): void {
    for (const row of rows) if (isWebLane(row.pixelId)) this.current.count(row.pixelId, row.event, 'retried');
  }

  dead(rows: readonly Pick<SettledRow, 'pixelId' | 'event'>[]): void {
    for (const row of rows) if (isWebLane(row.pixelId)) this.current.count(row.pixelId, row.event, 'dead');
  }

  testEventAnswered(answer: ReportTestEvent): void {
    this.current.testEvents.push(answer);
  }

  /** The interval not acknowledged yet, else the current one under the next number. One report at a time. */
  take(): TakenInterval {
    if (!this.unacknowledged) {
      this.unacknowledged = { seq: this.nextSeq++, interval: this.current };
      this.current = new Interval();
    }
    return this.unacknowledged;
  }

  /** Odoo has the counts of `taken`: they are never reported again. */
  acknowledge(taken: TakenInterval): void {
    if (this.unacknowledged === taken) this.unacknowledged = undefined;
  }
}
