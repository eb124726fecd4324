import { EVENT_SET_ID, NON_WEB_SOURCES, type NonWebSource } from '../contract/eventSource';

/**
 * Where the events of one lane go, and whose token sends them: a web lane is a
 * pixel, a lane of another source names its event set and the website whose
 * access token sends it (also after a restart with events still waiting).
 * Read once from its key (`readLane`), then passed as this value.
 */
export type Lane =
  | { eventSource: 'web'; eventSourceId: string }
  | { eventSource: NonWebSource; eventSourceId: string; websiteId: number };

/**
 * The outbox keys its lanes by one text (the `pixel_id` column): a web lane by
 * its pixel code as before, a lane of another source by
 * `<source>:<website id>:<event set id>`. Pixel codes are letters and digits
 * only, so the two never collide.
 */
export function sourceLaneId(eventSource: NonWebSource, websiteId: number, eventSetId: string): string {
  if (!EVENT_SET_ID.test(eventSetId)) throw new Error(`event set id ${JSON.stringify(eventSetId)} must be 1-64 letters, digits, - or _`);
  if (!Number.isSafeInteger(websiteId) || websiteId <= 0) throw new Error(`website id ${websiteId} must be a positive integer`);
  return `${eventSource}:${websiteId}:${eventSetId}`;
}

/** The lane of a web pixel: its key is the pixel code itself. */
export function webLane(pixelId: string): Lane {
  return { eventSource: 'web', eventSourceId: pixelId };
}

const NON_WEB_LANE = new RegExp(`^(${NON_WEB_SOURCES.join('|')}):([1-9][0-9]*):(${EVENT_SET_ID.source.slice(1, -1)})$`);

/** The lane a stored key names: the one place a key is read. */
export function readLane(laneId: string): Lane {
  const m = NON_WEB_LANE.exec(laneId);
  if (!m) return { eventSource: 'web', eventSourceId: laneId };
  return { eventSource: m[1] as NonWebSource, websiteId: Number(m[2]), eventSourceId: m[3] };
}

export function isWebLane(laneId: string): boolean {
  return readLane(laneId).eventSource === 'web';
}
