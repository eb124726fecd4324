import { TIKTOK_EVENT_NAMES } from './eventNames';
import { MAX_EVENT_AGE_SECONDS } from './formats';

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

/** The event names each source takes: a CRM Event Set its lead stages, the web and offline sales TikTok's standard events. */
export function eventNamesOf(source: EventSourceName): ReadonlySet<string> {
  return source === 'crm' ? CRM_LEAD_STAGES : TIKTOK_EVENT_NAMES;
}

/** An event set id as Events Manager shows it; never a character that could break a lane key. */
export const EVENT_SET_ID = /^[A-Za-z0-9_-]{1,64}$/;

const WEB_MAX_AGE_DAYS = MAX_EVENT_AGE_SECONDS / 86400;
/** How old an event of each source may be when sent (offline: TikTok's 28 days). */
export const MAX_EVENT_AGE_DAYS: Record<EventSourceName, number> = { web: WEB_MAX_AGE_DAYS, crm: WEB_MAX_AGE_DAYS, offline: 28 };
