import type { ClaimedSourceEvent } from '../contract/sourceEvent';
import type { NewOutboxEvent } from '../outbox/eventQueue';
import type { WebsiteSettings } from '../settings/types';
import { sourceLaneId } from '../tiktok/lane';
import { websiteOutboxEvent } from '../outbox/websiteRow';

/**
 * The outbox event of one claimed event of another source: in the lane of its
 * (source, website, event set), named as Odoo mapped it, with Odoo's event id.
 * It is sent with its website's token, so the website's choices apply to it as
 * to its web events; the browser context of a lead's form passes the relay's scrub.
 */
export function buildSourceEvent(entry: ClaimedSourceEvent, website: WebsiteSettings): NewOutboxEvent {
  return websiteOutboxEvent(
    {
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
    },
    website,
    { laneId: sourceLaneId(entry.event_source, entry.website_id, entry.event_source_id), source: 'server' },
  );
}
