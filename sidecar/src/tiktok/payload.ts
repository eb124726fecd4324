import { stripEmpty } from './clean';
import type { TikTokEventRow, TikTokProperties, TikTokUser } from './types';

export interface EventInput {
  event: string;
  eventId: string;
  eventTime: number;
  user?: TikTokUser;
  properties?: TikTokProperties;
  page?: { url?: string; referrer?: string };
}

/** A `data[]` row with every empty value removed; event/event_time/event_id are always kept. */
export function buildEventRow(input: EventInput): TikTokEventRow {
  const optional = stripEmpty({
    user: input.user,
    properties: input.properties,
    page: input.page,
  }) ?? {};
  return { event: input.event, event_time: input.eventTime, event_id: input.eventId, ...optional };
}

export function unixSeconds(ms: number = Date.now()): number {
  return Math.floor(ms / 1000);
}

/**
 * The request body from rows already serialized (as the outbox stores them): a
 * batch of 1,000 events is sent without parsing and re-serializing each row.
 */
export function serializeTrackRequest(pixelId: string, rowJson: string[], testEventCode?: string): string {
  const testCode = testEventCode ? `,"test_event_code":${JSON.stringify(testEventCode)}` : '';
  return `{"event_source":"web","event_source_id":${JSON.stringify(pixelId)}${testCode},"data":[${rowJson.join(',')}]}`;
}
