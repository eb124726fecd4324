import { z } from 'zod';
import type { NewOutboxEvent } from '../outbox/eventQueue';
import type { WebsiteSettings } from '../settings/types';
import { serverEventName } from '../tiktok/eventNames';
import { buildScrubbedEventRow } from '../tiktok/scrub';
import { CURRENCY_CODE_HINT, isCurrencyCode, SHA256_HEX_LOWER } from '../tiktok/validate';

/** One entry of `sale.order.tiktok_claim_purchases()` (docs/CONTRACTS.md §6), validated. */
const optionalText = z
  .union([z.string(), z.literal(false), z.null()])
  .optional()
  .transform((v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined));
const sha256 = z
  .union([z.string().regex(SHA256_HEX_LOWER), z.literal(false), z.null()])
  .optional()
  .transform((v) => (typeof v === 'string' ? v : undefined));

export const ClaimedPurchaseSchema = z.object({
  order_id: z.number().int().positive(),
  website_id: z.number().int().positive(),
  event_id: z.string().min(1).max(128),
  event_time: z.number().int().positive(),
  order_name: optionalText,
  value: z.number().finite().nonnegative(),
  currency: z.string().refine(isCurrencyCode, CURRENCY_CODE_HINT),
  contents: z
    .array(
      z.object({
        content_id: z.string().min(1),
        content_type: z.enum(['product', 'product_group']).optional(),
        content_name: optionalText,
        content_category: optionalText,
        price: z.number().finite().optional(),
        quantity: z.number().finite().optional(),
      }),
    )
    .default([]),
  user: z
    .object({
      email: sha256,
      phone: sha256,
      external_id: sha256,
      ip: optionalText,
      user_agent: optionalText,
      ttclid: optionalText,
      ttp: optionalText,
      locale: optionalText,
    })
    .prefault({}),
  page_url: optionalText,
});

export type ClaimedPurchase = z.infer<typeof ClaimedPurchaseSchema>;

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
    settings.domains.length ? settings.domains : undefined,
  );
  return { pixelId: settings.pixelId, event, eventId: purchase.event_id, testEventCode: settings.testEventCode, source: 'server', row };
}
