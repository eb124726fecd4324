import { z } from 'zod';
import { ContentSchema, OrderContentSchema } from './content';
import { GPC_POLICIES, MATCH_LEVELS } from './constants';
import { CurrencySchema, EventIdSchema, PixelIdSchema, PlaceSchema, Sha256HexSchema } from './fields';
import { EventNamesSchema } from './settings';

/**
 * The page config blob (docs/CONTRACTS.md §2): rendered by the module
 * (`website._tiktok_page_config`) into `<head>` as
 * `<script type="application/json" id="tiktok-events-config">`, read by the
 * browser bundle, which imports only the type (no validation in the page).
 * Absent keys are omitted, never null.
 */

/**
 * The product page's item: a content entry and the price's currency. A page
 * of a product with several variants, no variant chosen in its URL, is about
 * the product group (`content_type: "product_group"`, the template's
 * `item_group_id` in the catalog feed); `variant_id` is then the content id of
 * the variant it shows, which the browser does not report again.
 */
export const PageProductSchema = ContentSchema.pick({ content_id: true, content_type: true, content_name: true, content_category: true, price: true })
  .extend({ currency: CurrencySchema.optional(), variant_id: ContentSchema.shape.content_id.optional() })
  .strict();

/** The order on `/shop/confirmation`: the browser Purchase, paired with the server one by `event_id`. */
export const PagePurchaseSchema = z
  .object({
    event_id: EventIdSchema,
    order_id: z.string().optional(),
    value: z.number().finite().nonnegative(),
    currency: CurrencySchema,
    contents: z.array(OrderContentSchema.strict()),
  })
  .strict();

/**
 * The cart on the cart and checkout pages, in its own currency (the address
 * step may move the shopper to another pricelist): the browser's
 * InitiateCheckout, AddPaymentInfo and PlaceAnOrder take value, currency and
 * contents from the page they fire on, never from an older page.
 */
export const PageOrderSchema = z
  .object({
    value: z.number().finite().nonnegative(),
    currency: CurrencySchema,
    contents: z.array(OrderContentSchema.strict()).min(1),
  })
  .strict();

export const PageConfigSchema = z
  .object({
    pixel_id: PixelIdSchema,
    website_id: z.number().int().positive(),
    /** A same-site path (`/tiktok/relay`) or an https URL (http on the loopback only); the module checks it when it is typed. */
    relay_url: z.string().min(1),
    /** The PageView's event id for this render: the inline head code relays it as the event's `event_id`. */
    page_event_id: EventIdSchema,
    currency: CurrencySchema.optional(),
    /**
     * ISO 3166-1 alpha-2 country in which a phone number typed on the page without
     * its country code is read: the logged-in customer's, else the website company's.
     */
    phone_country: z.string().regex(/^[A-Z]{2}$/).optional(),
    debug: z.boolean().optional(),
    consent_required: z.boolean().optional(),
    event_names: EventNamesSchema.partial().optional(),
    /** How much of a person the website shares: with `contact_name_address` the browser also reads names and addresses from forms. */
    match_keys: z.enum(MATCH_LEVELS).optional(),
    /** What a visitor's Global Privacy Control does on this website; absent: nothing (the inline head code reads it). */
    gpc: z.enum(GPC_POLICIES).exclude(['ignore']).optional(),
    /** The logged-in customer's keys, named as `ttq.identify` names them: hashed, but city, state and country plain. */
    identify: z
      .object({
        email: Sha256HexSchema.optional(),
        phone_number: Sha256HexSchema.optional(),
        external_id: Sha256HexSchema.optional(),
        first_name: Sha256HexSchema.optional(),
        last_name: Sha256HexSchema.optional(),
        zip_code: Sha256HexSchema.optional(),
        city: PlaceSchema.optional(),
        state: PlaceSchema.optional(),
        country: PlaceSchema.optional(),
      })
      .strict()
      .optional(),
    /** product.product id → content id, for the page's products whose content id is not their id (internal references). */
    content_ids: z.record(z.string().regex(/^\d+$/), z.string().min(1).max(128)).optional(),
    product: PageProductSchema.optional(),
    order: PageOrderSchema.optional(),
    purchase: PagePurchaseSchema.optional(),
  })
  .strict();

export type PageConfig = z.infer<typeof PageConfigSchema>;
