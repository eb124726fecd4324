import type { ClaimedSourceEvent } from '../contract/sourceEvent';
import type { NewOutboxEvent } from '../outbox/eventQueue';
import { sourceLaneId } from '../tiktok/eventSource';
import { buildScrubbedEventRow } from '../tiktok/scrub';

/**
 * The outbox event of one claimed event of another source: in the lane of its
 * (source, website, event set), named as Odoo mapped it, with Odoo's event id.
 * The browser context of a lead's form passes the relay's scrub like any other.
 */
export function buildSourceEvent(entry: ClaimedSourceEvent): NewOutboxEvent {
  const row = buildScrubbedEventRow({
    event: entry.event,
    eventId: entry.event_id,
    eventTime: entry.event_time,
    user: entry.user,
    lead: entry.lead,
    properties: entry.properties && {
      ...entry.properties,
      contents: entry.properties.contents?.map((c) => ({ ...c, content_type: c.content_type ?? 'product' })),
      content_type: entry.properties.contents?.length ? 'product' : undefined,
    },
  });
  return {
    pixelId: sourceLaneId(entry.event_source, entry.website_id, entry.event_source_id),
    event: entry.event,
    eventId: entry.event_id,
    source: 'server',
    row,
  };
}
