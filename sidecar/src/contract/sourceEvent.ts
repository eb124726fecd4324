import { z } from 'zod';
import { EVENT_SET_ID, eventNamesOf, NON_WEB_SOURCES } from './eventSource';
import { OrderContentSchema } from './content';
import { CurrencySchema, EventIdSchema, OdooTextSchema } from './fields';
import { ClaimedUserSchema } from './purchase';

const text = OdooTextSchema.optional();
/** The store of an offline sale, as Odoo names it (the point of sale's id). */
const SHOP_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * One entry of `tiktok.source.event.tiktok_claim_source_events()` (docs/CONTRACTS.md §8):
 * an event of a non-web source (CRM lead stage, offline sale). Read as Odoo writes it
 * and loosely (unknown keys ignored); an entry the sidecar cannot read waits for its lease.
 */
export const ClaimedSourceEventSchema = z
  .object({
    website_id: z.number().int().positive(),
    event_source: z.enum(NON_WEB_SOURCES),
    event_source_id: z.string().regex(EVENT_SET_ID, 'must be an event set id (1-64 letters, digits, - or _)'),
    event: z.string().min(1).max(64),
    event_id: EventIdSchema,
    event_time: z.number().int().positive(),
    user: ClaimedUserSchema,
    lead: z.object({ lead_id: z.string().trim().min(1).max(128), lead_event_source: z.string().trim().min(1).max(64) }).optional(),
    /** An offline sale: what was bought, and in which shop (the point of sale). */
    properties: z
      .object({
        value: z.number().finite().nonnegative().optional(),
        currency: CurrencySchema.optional(),
        contents: z.array(OrderContentSchema.extend({ content_name: text, content_category: text })).optional(),
        order_id: text,
        shop_id: z.string().regex(SHOP_ID, 'must be 1-64 letters, digits, . _ : -').optional(),
      })
      .optional(),
  })
  .superRefine((entry, ctx) => {
    const known = eventNamesOf(entry.event_source);
    if (!known.has(entry.event)) {
      ctx.addIssue({ code: 'custom', path: ['event'], message: `"${entry.event}" is not an event of the ${entry.event_source} source (expected one of ${[...known].join(', ')})` });
    }
    if (entry.lead && entry.event_source !== 'crm') ctx.addIssue({ code: 'custom', path: ['lead'], message: 'only crm events carry a lead' });
    if (entry.event_source === 'offline') {
      // TikTok matches an in-store sale to a person by these keys only, and to a store by shop_id.
      if (!entry.user.email && !entry.user.phone && !entry.user.external_id) {
        ctx.addIssue({ code: 'custom', path: ['user'], message: 'an offline event needs at least one of email, phone, external_id' });
      }
      if (!entry.properties?.shop_id) ctx.addIssue({ code: 'custom', path: ['properties', 'shop_id'], message: 'an offline event names its shop' });
    }
  });

export type ClaimedSourceEvent = z.infer<typeof ClaimedSourceEventSchema>;
