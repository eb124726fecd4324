/** The Events API v1.3 `/event/track/` shapes (see the contract in docs). */
import type { Content, ContentType } from '../contract/content';

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
}

export interface TikTokPage {
  url?: string;
  referrer?: string;
}

/** One row of `data[]`. */
export interface TikTokEventRow {
  event: string;
  event_time: number;
  event_id: string;
  user?: TikTokUser;
  properties?: TikTokProperties;
  page?: TikTokPage;
  limited_data_use?: boolean;
}

export interface TrackRequest {
  event_source: 'web';
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
