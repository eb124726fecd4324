import { z } from 'zod';
import { OrderContentSchema } from './content';

/**
 * `tiktok_added` in the module's answer to `/shop/cart/add` (docs/CONTRACTS.md §9):
 * what Odoo's cart controller itself computed, so the browser fires AddToCart
 * with the quantity added, not the line's new total.
 */
export const CartAddedSchema = z.object({
  currency: z.string().optional(),
  /** The quantity added to each line, at the unit price paid. */
  contents: z.array(OrderContentSchema),
  /** The whole cart after the add (delivery lines left out). The checkout events read the cart from the page config's `order` instead. */
  cart: z.array(OrderContentSchema).optional(),
});

export type CartAdded = z.infer<typeof CartAddedSchema>;
