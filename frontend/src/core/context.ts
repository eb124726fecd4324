import type { Tracker } from './tracker';
import type { KeyValueStore } from './storage';

/** What every detector needs: the tracker, session storage and where we are. */
export interface DetectorContext {
  tracker: Tracker;
  store?: KeyValueStore;
  location: Pick<Location, 'pathname' | 'search' | 'href'>;
  now: () => number;
}

/** The website currency, for values read from the page. */
export function pageCurrency(ctx: DetectorContext): string | undefined {
  return ctx.tracker.config.currency;
}
