import { z } from 'zod';
import { CURRENCY_CODE_HINT, isCurrencyCode, PIXEL_ID, SHA256_HEX_LOWER } from '../tiktok/validate';

/** The browser → sidecar relay protocol (docs/CONTRACTS.md §4). Strict: unknown keys are refused. */

const sha256Hex = z.string().regex(SHA256_HEX_LOWER, 'must be a lowercase SHA-256 hex digest (hash it in the browser)');
const hashed = z.union([sha256Hex, z.array(sha256Hex).min(1).max(5)]);
const shortText = (max: number) => z.string().max(max);

export const RelayUserSchema = z
  .object({
    email: hashed.optional(),
    phone: hashed.optional(),
    external_id: hashed.optional(),
    ttclid: shortText(512).optional(),
    ttp: shortText(256).optional(),
    locale: z.string().regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/, 'must be a locale such as "en-US"').optional(),
  })
  .strict();

export const RelayContentSchema = z
  .object({
    content_id: z.string().min(1).max(128),
    content_type: z.enum(['product', 'product_group']).optional(),
    content_name: shortText(256).optional(),
    content_category: shortText(256).optional(),
    price: z.number().finite().nonnegative().optional(),
    quantity: z.number().finite().positive().optional(),
    brand: shortText(128).optional(),
  })
  .strict();

export const RelayPropertiesSchema = z
  .object({
    contents: z.array(RelayContentSchema).max(100).optional(),
    content_type: z.enum(['product', 'product_group']).optional(),
    currency: z.string().refine(isCurrencyCode, CURRENCY_CODE_HINT).optional(),
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

export const RelayEventSchema = z
  .object({
    pixel_id: z.string().regex(PIXEL_ID, 'must be a TikTok pixel code'),
    event: z.string().min(1).max(64),
    event_id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of letters, digits, . _ : -'),
    event_time: z.number().int().positive().optional(),
    consent: z.enum(['granted', 'denied', 'not_required']).optional(),
    page: z.object({ url: httpUrl, referrer: z.union([httpUrl, z.literal('')]).optional() }).strict().optional(),
    user: RelayUserSchema.optional(),
    properties: RelayPropertiesSchema.optional(),
  })
  .strict();

/** At most this many events in one relay request (a page flushing its queue). */
export const MAX_EVENTS_PER_REQUEST = 20;

export const RelayRequestSchema = z.union([RelayEventSchema, z.array(RelayEventSchema).min(1).max(MAX_EVENTS_PER_REQUEST)]);

export type RelayEvent = z.infer<typeof RelayEventSchema>;

/** Flatten zod issues into one readable line: `[0].properties.value: expected number, received string`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      return `${where || 'body'}: ${issue.message}`;
    })
    .join('; ');
}
