import type { ClaimedPurchase } from '../contract/purchase';
import type { NewOutboxEvent } from '../outbox/eventQueue';
import type { WebsiteSettings } from '../settings/types';
import { serverEventName } from '../contract/eventNames';
import { websiteOutboxEvent } from '../outbox/websiteRow';

/** The server Purchase of one claimed order: the confirmation page's event id, value, contents, match keys. */
export function buildPurchaseEvent(purchase: ClaimedPurchase, settings: WebsiteSettings): NewOutboxEvent {
  // The buyer's ttclid, _ttp and user agent were recorded from the browser: the relay's scrub applies.
  // A website without domains in Odoo leaves its confirmation address unbounded rather than dropped.
  return websiteOutboxEvent(
    {
      event: serverEventName('Purchase', settings.eventNames),
      eventId: purchase.event_id,
      eventTime: purchase.event_time,
      user: purchase.user,
      properties: {
        contents: purchase.contents.map((c) => ({ ...c, content_type: c.content_type ?? 'product' })),
        content_type: 'product',
        currency: purchase.currency,
        value: purchase.value,
        order_id: purchase.order_name,
      },
      page: { url: purchase.page_url },
    },
    settings,
    { laneId: settings.pixelId, source: 'server', testEventCode: settings.testEventCode, origins: settings.domains.length ? settings.domains : undefined, gpc: purchase.gpc },
  );
}
