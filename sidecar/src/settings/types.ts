import type { GpcPolicy, MatchLevel } from '../contract/constants';
import type { EventNameVariants } from '../contract/eventNames';

/** Resolved configuration of one website, as the module's RPC method returns it. */
export interface WebsiteSettings {
  websiteId: number;
  name: string;
  enabled: boolean;
  pixelId: string;
  accessToken: string;
  testEventCode?: string;
  /** Origins (scheme://host[:port]) the relay accepts for this website's pixel. */
  domains: string[];
  eventNames: EventNameVariants;
  consentRequired: boolean;
  purchaseWithoutPayment: boolean;
  debug: boolean;
  /** How much of a known person TikTok receives: name and address keys are dropped under `contact`. */
  matchKeys: MatchLevel;
  /** Every event row asks TikTok for limited data use. */
  limitedDataUse: boolean;
  /** What a visitor's Global Privacy Control signal does (contract/constants.ts GPC_POLICIES). */
  gpc: GpcPolicy;
}

/** Where the relay and the dispatcher look up a pixel's settings. */
export interface SettingsSource {
  /** Settings of the website that owns this pixel, or undefined when unknown. */
  byPixel(pixelId: string): WebsiteSettings | undefined;
  all(): WebsiteSettings[];
}
