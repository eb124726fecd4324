/**
 * Pure helpers of the control room's templates: which badge, which rows,
 * how tall a bar. No DOM, no Odoo; the words live in the templates.
 */
import type { ChartPoint, Counts, EventRow, SidecarStatus, TestEventState } from './types';

const STATUS_BADGES: Record<SidecarStatus, string> = {
  connected: 'text-bg-success',
  lagging: 'text-bg-warning',
  down: 'text-bg-danger',
  never: 'text-bg-secondary',
};

/** Bootstrap badge classes of a sidecar or replica status. */
export function statusBadgeClass(status: SidecarStatus): string {
  return `badge rounded-pill ${STATUS_BADGES[status] ?? STATUS_BADGES.never}`;
}

export function hasCounts(counts: Counts): boolean {
  return counts.accepted + counts.delivered + counts.retried + counts.dead > 0;
}

/** The events with anything to show over the period, in the product's order. */
export function activeEventRows(rows: readonly EventRow[]): EventRow[] {
  return rows.filter((row) => hasCounts(row.period));
}

export interface ChartBar extends ChartPoint {
  /** Height in percent of the tallest bar (a non-zero day gets at least a sliver). */
  height: number;
}

export function chartBars(points: readonly ChartPoint[]): ChartBar[] {
  const highest = Math.max(0, ...points.map((point) => point.delivered));
  return points.map((point) => ({
    ...point,
    height: highest === 0 || point.delivered === 0 ? 0 : Math.max(2, Math.round((100 * point.delivered) / highest)),
  }));
}

/** "42 %", or an en dash when there was nothing to divide. */
export function percentText(percent: number | null): string {
  return percent === null ? '–' : `${percent} %`;
}

export function isFinalTestState(state: TestEventState): boolean {
  return state === 'answered' || state === 'failed';
}
