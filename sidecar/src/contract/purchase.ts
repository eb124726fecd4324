import { z } from 'zod';
import { OrderContentSchema } from './content';
import { CurrencySchema, OdooTextSchema, Sha256HexSchema } from './fields';

/**
 * One entry of `sale.order.tiktok_claim_purchases()` (docs/CONTRACTS.md §6).
 * Read as Odoo writes it (`false` for an empty field) and loosely (unknown keys
 * are ignored): an order the sidecar cannot read waits for its lease to expire,
 * so nothing here is stricter than what the Events API needs.
 */
const text = OdooTextSchema.optional();
const hashed = z
  .union([Sha256HexSchema, z.literal(false), z.null()])
  .optional()
  .transform((v) => (typeof v === 'string' ? v : undefined));

/** The `user` of an event Odoo hands out: hashed keys, and the browser's context where one was recorded. */
export const ClaimedUserSchema = z
  .object({
    email: hashed,
    phone: hashed,
    external_id: hashed,
    first_name: hashed,
    last_name: hashed,
    zip_code: hashed,
    city: text,
    state: text,
    country: text,
    ip: text,
    user_agent: text,
    ttclid: text,
    ttp: text,
    locale: text,
  })
  .prefault({});

export const ClaimedPurchaseSchema = z.object({
  order_id: z.number().int().positive(),
  website_id: z.number().int().positive(),
  event_id: z.string().min(1).max(128),
  event_time: z.number().int().positive(),
  order_name: text,
  value: z.number().finite().nonnegative(),
  currency: CurrencySchema,
  contents: z.array(OrderContentSchema.extend({ content_name: text, content_category: text })).default([]),
  user: ClaimedUserSchema,
  page_url: text,
  /** The buyer's checkout carried `Sec-GPC: 1` (left out: it did not, or the module is older). */
  gpc: z.boolean().default(false),
});

export type ClaimedPurchase = z.infer<typeof ClaimedPurchaseSchema>;
