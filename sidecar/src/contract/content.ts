import { z } from 'zod';

export const CONTENT_TYPES = ['product', 'product_group'] as const;
export const ContentTypeSchema = z.enum(CONTENT_TYPES);

/**
 * One `contents[]` entry, in the Events API's own shape: the relay takes it
 * from the browser, the page config's `purchase` and the module's claimed
 * Purchases carry it, and the outbox rows send it as it is. The bounds are the
 * relay's, which reads it from strangers; the module's answer relaxes a few
 * (`purchase.ts`). The module builds it in Python (`sale.order._tiktok_contents`);
 * tests/vectors/contract.json holds both sides to the same examples.
 */
export const ContentSchema = z.object({
  /** The `product.product` id as a decimal string. */
  content_id: z.string().min(1).max(128),
  content_type: ContentTypeSchema.optional(),
  content_name: z.string().max(256).optional(),
  content_category: z.string().max(256).optional(),
  price: z.number().finite().nonnegative().optional(),
  quantity: z.number().finite().positive().optional(),
  brand: z.string().max(128).optional(),
});

/**
 * The contents the module builds from an order's lines (the page config's
 * `purchase`, the claimed Purchases): the same shape, without the relay's
 * bounds on amounts — a discount or reward line has a negative price.
 */
export const OrderContentSchema = ContentSchema.extend({
  price: z.number().finite().optional(),
  quantity: z.number().finite().optional(),
});

export type Content = z.infer<typeof ContentSchema>;
export type ContentType = z.infer<typeof ContentTypeSchema>;
