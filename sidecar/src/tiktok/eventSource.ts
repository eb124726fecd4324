import type { SettingsSource, WebsiteSettings } from '../settings/types';
import { MAX_EVENT_AGE_SECONDS } from './validate';

/**
 * The Events API's sources on one endpoint (`event_source`): the web pixel, and
 * the sources Odoo's other apps feed (docs/CONTRACTS.md §8). Each has its own
 * kind of id in Events Manager: a pixel code, a CRM Event Set id, an Offline Event Set id.
 */
export const NON_WEB_SOURCES = ['crm', 'offline'] as const;
export type NonWebSource = (typeof NON_WEB_SOURCES)[number];
export type EventSourceName = 'web' | NonWebSource;

/** TikTok's lead stages: the event names of the `crm` source. */
export const CRM_LEAD_STAGES: ReadonlySet<string> = new Set(['Raw', 'Qualified', 'Unqualified', 'Contacted', 'Converted']);
/** How the `lead` object names where its stage changed. */
export const LEAD_EVENT_SOURCE = 'Odoo';

/** An event set id as Events Manager shows it; never a character that could break a lane key. */
export const EVENT_SET_ID = /^[A-Za-z0-9_-]{1,64}$/;

const WEB_MAX_AGE_DAYS = MAX_EVENT_AGE_SECONDS / 86400;
/** How old an event of each source may be when sent (offline: TikTok's 28 days). */
export const MAX_EVENT_AGE_DAYS: Record<EventSourceName, number> = { web: WEB_MAX_AGE_DAYS, crm: WEB_MAX_AGE_DAYS, offline: 28 };

/**
 * Where the events of one lane go, and whose token sends them. The outbox keys
 * its lanes by one text (the `pixel_id` column): a web lane by its pixel code as
 * before, a lane of another source by `<source>:<website id>:<event set id>`.
 * Pixel codes are letters and digits only, so the two never collide; the website
 * is part of the key because its access token sends the lane, also after a
 * restart with events still waiting.
 */
export interface LaneSource {
  eventSource: EventSourceName;
  eventSourceId: string;
  /** The website whose settings (token) send a non-web lane. */
  websiteId?: number;
}

export function sourceLaneId(eventSource: NonWebSource, websiteId: number, eventSetId: string): string {
  if (!EVENT_SET_ID.test(eventSetId)) throw new Error(`event set id ${JSON.stringify(eventSetId)} must be 1-64 letters, digits, - or _`);
  if (!Number.isSafeInteger(websiteId) || websiteId <= 0) throw new Error(`website id ${websiteId} must be a positive integer`);
  return `${eventSource}:${websiteId}:${eventSetId}`;
}

const NON_WEB_LANE = new RegExp(`^(${NON_WEB_SOURCES.join('|')}):([1-9][0-9]*):(${EVENT_SET_ID.source.slice(1, -1)})$`);

export function laneSource(laneId: string): LaneSource {
  const m = NON_WEB_LANE.exec(laneId);
  if (!m) return { eventSource: 'web', eventSourceId: laneId };
  return { eventSource: m[1] as NonWebSource, websiteId: Number(m[2]), eventSourceId: m[3] };
}

export function isWebLane(laneId: string): boolean {
  return laneSource(laneId).eventSource === 'web';
}

/** The settings whose access token sends a lane: its pixel's website, or the website named in a non-web lane. */
export function settingsOfLane(settings: SettingsSource, laneId: string): WebsiteSettings | undefined {
  const source = laneSource(laneId);
  if (source.eventSource === 'web') return settings.byPixel(laneId);
  return settings.all().find((w) => w.websiteId === source.websiteId);
}
