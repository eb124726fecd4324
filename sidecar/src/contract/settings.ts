import { z } from 'zod';
import { GPC_POLICIES, MATCH_LEVELS } from './constants';
import { DEFAULT_EVENT_NAMES, EVENT_NAME_CHOICES } from './eventNames';
import { OdooIdentifierSchema, OdooTextSchema } from './fields';

/** Per pixel, the name TikTok receives where it has two spellings for one conversion. */
export const EventNamesSchema = z.object({
  Purchase: z.enum(EVENT_NAME_CHOICES.Purchase),
  SubmitForm: z.enum(EVENT_NAME_CHOICES.SubmitForm),
});

/**
 * One entry of `website.tiktok_sidecar_settings()` (docs/CONTRACTS.md §5): an
 * RPC answer is an input boundary like any other. Odoo sends `false` for empty
 * fields. A pixel id that breaks `PIXEL_ID` is read, so that the website can be
 * skipped with that reason (`settings/odooAnswer.ts`).
 */
export const WebsiteSettingsAnswerSchema = z.object({
  website_id: z.number().int().positive(),
  name: z.union([z.string(), z.literal(false)]).transform((v) => v || ''),
  enabled: z.boolean(),
  pixel_id: OdooIdentifierSchema,
  access_token: OdooTextSchema,
  test_event_code: OdooTextSchema.optional(),
  domains: z.array(z.string()).default([]),
  event_names: EventNamesSchema.default(DEFAULT_EVENT_NAMES),
  consent_required: z.boolean().default(false),
  purchase_without_payment: z.boolean().default(false),
  debug: z.boolean().default(false),
  /** Left out by modules before 19.0.1.4.0: what they shared, the contact keys. */
  match_keys: z.enum(MATCH_LEVELS).default('contact'),
  limited_data_use: z.boolean().default(false),
  /** Left out by modules before 19.0.1.7.0, which had no such setting: the signal was ignored. */
  gpc: z.enum(GPC_POLICIES).default('ignore'),
});
