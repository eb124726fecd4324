import { z } from 'zod';
import type { WebsiteSettings } from './types';
import { PIXEL_ID } from '../tiktok/validate';

/**
 * The answer of `website.tiktok_sidecar_settings()` (docs/CONTRACTS.md §5), validated:
 * an RPC answer is an input boundary like any other. Odoo sends `false` for empty fields.
 */
const emptyToUndefined = z.union([z.string(), z.literal(false), z.null()]).transform((v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined));

export const WebsiteSettingsAnswerSchema = z.object({
  website_id: z.number().int().positive(),
  name: z.union([z.string(), z.literal(false)]).transform((v) => v || ''),
  enabled: z.boolean(),
  pixel_id: emptyToUndefined,
  access_token: emptyToUndefined,
  test_event_code: emptyToUndefined.optional(),
  domains: z.array(z.string()).default([]),
  event_names: z
    .object({ Purchase: z.enum(['Purchase', 'CompletePayment']), SubmitForm: z.enum(['SubmitForm', 'Lead']) })
    .default({ Purchase: 'Purchase', SubmitForm: 'SubmitForm' }),
  consent_required: z.boolean().default(false),
  purchase_without_payment: z.boolean().default(false),
  debug: z.boolean().default(false),
});

export type WebsiteSettingsAnswer = z.infer<typeof WebsiteSettingsAnswerSchema>;

export type ParsedWebsite =
  | { kind: 'usable'; settings: WebsiteSettings }
  /** A website the sidecar cannot serve, with the reason (one warning per change). */
  | { kind: 'skipped'; websiteId: number | undefined; name: string; reason: string };


export function parseWebsiteEntry(raw: unknown): ParsedWebsite {
  const result = WebsiteSettingsAnswerSchema.safeParse(raw);
  if (!result.success) {
    const id = (raw as { website_id?: unknown })?.website_id;
    const detail = result.error.issues.map((i) => `${i.path.join('.') || 'entry'}: ${i.message}`).join('; ');
    return { kind: 'skipped', websiteId: typeof id === 'number' ? id : undefined, name: '', reason: `unreadable settings (${detail})` };
  }
  const w = result.data;
  const skip = (reason: string): ParsedWebsite => ({ kind: 'skipped', websiteId: w.website_id, name: w.name, reason });
  if (!w.enabled) return skip('TikTok tracking is disabled');
  if (!w.pixel_id) return skip('no pixel id');
  if (!PIXEL_ID.test(w.pixel_id)) return skip(`pixel id "${w.pixel_id}" is not a TikTok pixel code`);
  if (!w.access_token) return skip('no Events API access token');
  return {
    kind: 'usable',
    settings: {
      websiteId: w.website_id,
      name: w.name,
      enabled: true,
      pixelId: w.pixel_id,
      accessToken: w.access_token,
      testEventCode: w.test_event_code,
      domains: w.domains,
      eventNames: w.event_names,
      consentRequired: w.consent_required,
      purchaseWithoutPayment: w.purchase_without_payment,
      debug: w.debug,
    },
  };
}

/** Websites sharing one pixel are served as one: the relay accepts the union of their domains. */
export function indexByPixel(websites: WebsiteSettings[]): Map<string, WebsiteSettings> {
  const byPixel = new Map<string, WebsiteSettings>();
  for (const w of websites) {
    const seen = byPixel.get(w.pixelId);
    if (!seen) byPixel.set(w.pixelId, { ...w, domains: [...w.domains] });
    else seen.domains = [...new Set([...seen.domains, ...w.domains])];
  }
  return byPixel;
}
