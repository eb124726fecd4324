import type { ClaimedPurchase } from '../contract/purchase';
import type { NewOutboxEvent } from '../outbox/eventQueue';
import type { WebsiteSettings } from '../settings/types';
import { serverEventName } from '../tiktok/eventNames';
import { buildScrubbedEventRow, sharedUser } from '../tiktok/scrub';

/** The server Purchase of one claimed order: the confirmation page's event id, value, contents, match keys. */
export function buildPurchaseEvent(purchase: ClaimedPurchase, settings: WebsiteSettings): NewOutboxEvent {
  const event = serverEventName('Purchase', settings.eventNames);
  // The buyer's ttclid, _ttp and user agent were recorded from the browser: the relay's scrub applies.
  // A website without domains in Odoo leaves its confirmation address unbounded rather than dropped.
  const row = buildScrubbedEventRow(
    {
      event,
      eventId: purchase.event_id,
      eventTime: purchase.event_time,
      user: sharedUser(purchase.user, settings.matchKeys),
      properties: {
        contents: purchase.contents.map((c) => ({ ...c, content_type: c.content_type ?? 'product' })),
        content_type: 'product',
        currency: purchase.currency,
        value: purchase.value,
        order_id: purchase.order_name,
      },
      page: { url: purchase.page_url },
      limitedDataUse: settings.limitedDataUse,
    },
    settings.domains.length ? settings.domains : undefined,
  );
  return { pixelId: settings.pixelId, event, eventId: purchase.event_id, testEventCode: settings.testEventCode, source: 'server', row };
}
