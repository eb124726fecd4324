/** The Events API v1.3 `/event/track/` shapes (see the contract in docs). */
import type { Content, ContentType } from '../contract/content';
import type { EventSourceName } from '../contract/eventSource';

export type HashedValue = string | string[];

export interface TikTokUser {
  email?: HashedValue;
  phone?: HashedValue;
  external_id?: HashedValue;
  first_name?: HashedValue;
  last_name?: HashedValue;
  zip_code?: HashedValue;
  /** City, state and country: plain, normalized (`normalizePlace`), never hashed. */
  city?: string;
  state?: string;
  country?: string;
  ttclid?: string;
  ttp?: string;
  ip?: string;
  user_agent?: string;
  locale?: string;
}

/** One `contents[]` entry: the contract's shape, the same from the browser to TikTok. */
export type TikTokContent = Content;

export interface TikTokProperties {
  contents?: TikTokContent[];
  content_type?: ContentType;
  currency?: string;
  value?: number;
  query?: string;
  order_id?: string;
  description?: string;
  /** The store of an offline event. */
  shop_id?: string;
}

export interface TikTokPage {
  url?: string;
  referrer?: string;
}

/** The lead of a `crm` event that came from a TikTok lead form. */
export interface TikTokLead {
  lead_id: string;
  lead_event_source: string;
}

/** One row of `data[]`. */
export interface TikTokEventRow {
  event: string;
  event_time: number;
  event_id: string;
  user?: TikTokUser;
  properties?: TikTokProperties;
  page?: TikTokPage;
  lead?: TikTokLead;
  limited_data_use?: boolean;
}

export interface TrackRequest {
  event_source: EventSourceName;
  event_source_id: string;
  partner_name: string;
  test_event_code?: string;
  data: TikTokEventRow[];
}

export interface TrackResponse {
  code: number;
  message: string;
  request_id?: string;
  data?: unknown;
}

/** TikTok's documented limit of rows per request. */
export const MAX_BATCH_SIZE = 1000;
