import { z } from 'zod';
import { CRM_LEAD_STAGES, EVENT_SET_ID, NON_WEB_SOURCES } from '../tiktok/eventSource';
import { TIKTOK_EVENT_NAMES } from '../tiktok/eventNames';
import { EventIdSchema } from './fields';
import { ClaimedUserSchema } from './purchase';

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
  })
  .superRefine((entry, ctx) => {
    const known = entry.event_source === 'crm' ? CRM_LEAD_STAGES : TIKTOK_EVENT_NAMES;
    if (!known.has(entry.event)) {
      ctx.addIssue({ code: 'custom', path: ['event'], message: `"${entry.event}" is not an event of the ${entry.event_source} source (expected one of ${[...known].join(', ')})` });
    }
    if (entry.lead && entry.event_source !== 'crm') ctx.addIssue({ code: 'custom', path: ['lead'], message: 'only crm events carry a lead' });
  });

export type ClaimedSourceEvent = z.infer<typeof ClaimedSourceEventSchema>;
