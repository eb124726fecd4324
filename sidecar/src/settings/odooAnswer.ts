import { PIXEL_ID, PIXEL_ID_FORMAT } from '../contract/constants';
import { WebsiteSettingsAnswerSchema } from '../contract/settings';
import type { WebsiteSettings } from './types';

/** One entry of the module's settings answer, validated by the contract's schema and resolved for serving. */
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
  if (!PIXEL_ID.test(w.pixel_id)) return skip(`pixel id "${w.pixel_id}" is not ${PIXEL_ID_FORMAT}`);
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
      matchKeys: w.match_keys,
      limitedDataUse: w.limited_data_use,
      gpc: w.gpc,
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
