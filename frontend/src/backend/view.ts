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
  /** Height in percent of the busiest day (a non-zero day gets at least a sliver). */
  height: number;
  /** Its day is written under the axis (every day on a week, fewer on a month). */
  labelled: boolean;
}

export interface Chart {
  bars: ChartBar[];
  /** The axis' marks, top first: the busiest day (the bars' full height), its half, 0. */
  ticks: number[];
  /** Each bar carries its number above it (on a week; a month's bars are too narrow). */
  showValues: boolean;
}

/** Days written under a chart at most; bars carry their value up to this many days. */
const MAX_DAY_LABELS = 8;
const MAX_VALUE_LABELS = 14;

export function chart(points: readonly ChartPoint[]): Chart {
  const top = Math.max(0, ...points.map((point) => point.delivered));
  const every = Math.ceil(points.length / MAX_DAY_LABELS);
  const last = points.length - 1;
  return {
    bars: points.map((point, index) => ({
      ...point,
      height: top === 0 || point.delivered === 0 ? 0 : Math.max(2, Math.round((100 * point.delivered) / top)),
      // Counted back from today, so that today is always written.
      labelled: (last - index) % every === 0,
    })),
    // The half only where it is a whole number of events.
    ticks: top === 0 ? [0] : top % 2 === 0 ? [top, top / 2, 0] : [top, 0],
    showValues: points.length <= MAX_VALUE_LABELS,
  };
}

/** A catalog match rate's badge: at or above TikTok's goal, below it, or nothing sent yet. */
export function matchBadgeClass(rate: number | null, goal: number): string {
  const tone = rate === null ? 'text-bg-secondary' : rate >= goal ? 'text-bg-success' : 'text-bg-warning';
  return `badge rounded-pill ${tone}`;
}

/** "ViewContent 9 · AddToCart 1": how many of each event sent a content id, most first. */
export function eventCountsText(events: Record<string, number>): string {
  return Object.entries(events)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([event, count]) => `${event} ${count}`)
    .join(' · ');
}

/** "42 %", or an en dash when there was nothing to divide. */
export function percentText(percent: number | null): string {
  return percent === null ? '–' : `${percent} %`;
}

export function isFinalTestState(state: TestEventState): boolean {
  return state === 'answered' || state === 'failed';
}
