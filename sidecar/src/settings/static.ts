import { DEFAULT_GPC_POLICY } from '../contract/constants';
import type { EventNameVariants } from '../contract/eventNames';
import type { SettingsSource, WebsiteSettings } from './types';

/** A fixed list of website settings: relay-only mode, and tests. */
export class StaticSettings implements SettingsSource {
  constructor(private readonly websites: WebsiteSettings[]) {}

  byPixel(pixelId: string): WebsiteSettings | undefined {
    return this.websites.find((w) => w.pixelId === pixelId && w.enabled) ?? this.websites.find((w) => w.pixelId === pixelId);
  }

  all(): WebsiteSettings[] {
    return this.websites;
  }
}

/** The variables relay-only mode reads its pixel from (the sidecar's validated environment). */
export interface RelayOnlyEnv {
  TIKTOK_PIXEL_ID?: string;
  TIKTOK_ACCESS_TOKEN?: string;
  TIKTOK_TEST_EVENT_CODE?: string;
  RELAY_ALLOWED_ORIGINS: string[];
  TIKTOK_EVENT_NAME_PURCHASE: EventNameVariants['Purchase'];
  TIKTOK_EVENT_NAME_SUBMITFORM: EventNameVariants['SubmitForm'];
  TIKTOK_CONSENT_REQUIRED: boolean;
}

/** The single pixel of relay-only mode, from TIKTOK_* variables. */
export function settingsFromEnv(cfg: RelayOnlyEnv): WebsiteSettings[] {
  if (!cfg.TIKTOK_PIXEL_ID || !cfg.TIKTOK_ACCESS_TOKEN) return [];
  return [
    {
      websiteId: 0,
      name: 'environment',
      enabled: true,
      pixelId: cfg.TIKTOK_PIXEL_ID,
      accessToken: cfg.TIKTOK_ACCESS_TOKEN,
      testEventCode: cfg.TIKTOK_TEST_EVENT_CODE,
      domains: cfg.RELAY_ALLOWED_ORIGINS,
      eventNames: { Purchase: cfg.TIKTOK_EVENT_NAME_PURCHASE, SubmitForm: cfg.TIKTOK_EVENT_NAME_SUBMITFORM },
      consentRequired: cfg.TIKTOK_CONSENT_REQUIRED,
      purchaseWithoutPayment: false,
      debug: false,
      matchKeys: 'contact',
      limitedDataUse: false,
      gpc: DEFAULT_GPC_POLICY,
    },
  ];
}
