import { z } from 'zod';
import { LOCALE, RELAY_MAX_EVENTS_PER_REQUEST } from './constants';
import { ContentSchema, ContentTypeSchema } from './content';
import { CurrencySchema, EventIdSchema, PixelIdSchema, Sha256HexSchema } from './fields';

/**
 * The browser → sidecar relay (docs/CONTRACTS.md §4). Strict: unknown keys are
 * refused. The amounts' ceilings are the sidecar's settings (`RELAY_MAX_*`),
 * checked after this schema (`relay/toOutbox.ts`).
 */

const hashed = z.union([Sha256HexSchema, z.array(Sha256HexSchema).min(1).max(5)]);
const shortText = (max: number) => z.string().max(max);

export const RelayUserSchema = z
  .object({
    email: hashed.optional(),
    phone: hashed.optional(),
    external_id: hashed.optional(),
    first_name: hashed.optional(),
    last_name: hashed.optional(),
    zip_code: hashed.optional(),
    /** Plain; normalized again by the sidecar (`normalizePlace`), dropped when nothing is left. */
    city: shortText(128).optional(),
    state: shortText(128).optional(),
    country: shortText(128).optional(),
    ttclid: shortText(512).optional(),
    ttp: shortText(256).optional(),
    locale: z.string().regex(LOCALE, 'must be a locale such as "en-US"').optional(),
  })
  .strict();

export const RelayPropertiesSchema = z
  .object({
    contents: z.array(ContentSchema.strict()).max(100).optional(),
    content_type: ContentTypeSchema.optional(),
    currency: CurrencySchema.optional(),
    value: z.number().finite().nonnegative().optional(),
    query: shortText(512).optional(),
    order_id: shortText(128).optional(),
    description: shortText(1024).optional(),
  })
  .strict();

const httpUrl = z
  .string()
  .max(2048)
  .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), 'must be an absolute http(s) URL');

export const RelayConsentSchema = z.enum(['granted', 'denied', 'not_required']);

/**
 * Whether TikTok's pixel script (events.js) loaded on the page that sent the
 * event: `loaded`, `blocked` (it failed to load: an extension or a network
 * filter), or `withheld` (not loaded on purpose: the visitor's Global Privacy
 * Control under limited data use). Absent: the page did not know yet (the inline head code's PageView
 * leaves before events.js answers) or does not say (an older page). It only
 * sorts the report's counts (TikTok's connection methods); it never changes
 * whether or how an event is delivered.
 */
export const PIXEL_STATES = ['loaded', 'blocked', 'withheld'] as const;
export const PixelStateSchema = z.enum(PIXEL_STATES);

export const RelayEventSchema = z
  .object({
    pixel_id: PixelIdSchema,
    /** A canonical key; which ones a browser may relay is the sidecar's decision (`event_not_allowed`). */
    event: z.string().min(1).max(64),
    event_id: EventIdSchema,
    event_time: z.number().int().positive().optional(),
    consent: RelayConsentSchema.optional(),
    pixel: PixelStateSchema.optional(),
    page: z.object({ url: httpUrl, referrer: z.union([httpUrl, z.literal('')]).optional() }).strict().optional(),
    user: RelayUserSchema.optional(),
    properties: RelayPropertiesSchema.optional(),
  })
  .strict();

/** A request body: one event, or a page's queue of at most `RELAY_MAX_EVENTS_PER_REQUEST`. */
export const RelayRequestSchema = z.union([RelayEventSchema, z.array(RelayEventSchema).min(1).max(RELAY_MAX_EVENTS_PER_REQUEST)]);

/** An event as the sidecar has read it. */
export type RelayEvent = z.infer<typeof RelayEventSchema>;
/** An event as a browser may write it. */
export type RelayEventInput = z.input<typeof RelayEventSchema>;
export type RelayConsent = z.infer<typeof RelayConsentSchema>;
export type PixelState = z.infer<typeof PixelStateSchema>;
