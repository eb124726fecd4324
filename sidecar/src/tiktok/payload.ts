import { PARTNER_NAME } from '../contract/constants';
import { stripEmpty } from '../contract/clean';
import type { Lane } from './lane';
import type { TikTokEventRow, TikTokLead, TikTokProperties, TikTokUser } from './types';

export interface EventInput {
  event: string;
  eventId: string;
  eventTime: number;
  user?: TikTokUser;
  properties?: TikTokProperties;
  page?: { url?: string; referrer?: string };
  /** The website asks TikTok for limited data use: the row says so (otherwise the key is left out, TikTok's default). */
  limitedDataUse?: boolean;
  lead?: TikTokLead;
}

/** A `data[]` row with every empty value removed; event/event_time/event_id are always kept. */
export function buildEventRow(input: EventInput): TikTokEventRow {
  const optional = stripEmpty({
    user: input.user,
    properties: input.properties,
    page: input.page,
    lead: input.lead,
  }) ?? {};
  const row: TikTokEventRow = { event: input.event, event_time: input.eventTime, event_id: input.eventId, ...optional };
  if (input.limitedDataUse) row.limited_data_use = true;
  return row;
}

export function unixSeconds(ms: number = Date.now()): number {
  return Math.floor(ms / 1000);
}

/**
 * The request body from rows already serialized (as the outbox stores them): a
 * batch of 1,000 events is sent without parsing and re-serializing each row.
 * `lane` is a pixel, or the lane of another source (`lane.ts`).
 */
export function serializeTrackRequest(lane: Lane, rowJson: string[], testEventCode?: string): string {
  const { eventSource, eventSourceId } = lane;
  const testCode = testEventCode ? `,"test_event_code":${JSON.stringify(testEventCode)}` : '';
  return `{"event_source":${JSON.stringify(eventSource)},"event_source_id":${JSON.stringify(eventSourceId)},"partner_name":${JSON.stringify(PARTNER_NAME)}${testCode},"data":[${rowJson.join(',')}]}`;
}
