import type { NewOutboxEvent } from './eventQueue';
import type { WebsiteSettings } from '../settings/types';
import type { EventInput } from '../tiktok/payload';
import { buildScrubbedEventRow, sharedUser } from '../tiktok/scrub';
import type { TikTokEventRow } from '../tiktok/types';

/** An event as its source built it: the website's choices are not the source's to make. */
export type WebsiteEventInput = Omit<EventInput, 'limitedDataUse'>;

/**
 * The one rule every row sent with a website's token passes, whatever built it
 * (the relay, the Purchase poller, the poller of CRM stages and offline sales,
 * a test event): the website's choices, how much of a person it shares
 * (`matchKeys`) and limited data use (always, or for a visitor whose browser
 * sent Global Privacy Control, `gpc`, under that policy), then the scrub (`scrub.ts`). `origins`
 * bounds the page addresses; without them an address is not bounded.
 */
export function websiteEventRow(input: WebsiteEventInput, website: WebsiteSettings, origins?: readonly string[], gpc = false): TikTokEventRow {
  // Spelled out, not spread: V8 takes a slow path (microseconds an event on the relay) when a
  // spread copy gains keys its original lacks.
  const { event, eventId, eventTime, user, properties, page, lead } = input;
  return buildScrubbedEventRow(
    { event, eventId, eventTime, user: sharedUser(user, website.matchKeys), properties, page, lead, limitedDataUse: website.limitedDataUse || (gpc && website.gpc === 'limited_data_use') },
    origins,
  );
}

/** Where an event goes: its lane (the pixel, or another source's lane), who built it, its test event code. */
export interface OutboxRoute {
  laneId: string;
  source: NewOutboxEvent['source'];
  testEventCode?: string;
  origins?: readonly string[];
  /** The event's visitor sent Global Privacy Control (the relay's request, the checkout's): the website's policy applies. */
  gpc?: boolean;
  /** What the relaying page said of TikTok's pixel (counting only). */
  pixel?: NewOutboxEvent['pixel'];
}

/** The outbox event of one event of `website`, its row built by `websiteEventRow`. */
export function websiteOutboxEvent(input: WebsiteEventInput, website: WebsiteSettings, route: OutboxRoute): NewOutboxEvent {
  const row = websiteEventRow(input, website, route.origins, route.gpc);
  return { pixelId: route.laneId, event: row.event, eventId: row.event_id, testEventCode: route.testEventCode, source: route.source, row, pixel: route.pixel };
}
