/**
 * What the module's methods return to the control room (Python:
 * models/tiktok_dashboard.py, models/tiktok_test_event.py). Plain JSON.
 */
export type ReplicaStatus = 'connected' | 'lagging' | 'down';
export type SidecarStatus = ReplicaStatus | 'never';

export interface Counts {
  accepted: number;
  delivered: number;
  retried: number;
  dead: number;
}

/** The silences after which a replica reporting every `interval_seconds` reads lagging, then down. */
export interface StatusThresholds {
  interval_seconds: number;
  lagging_after_seconds: number;
  down_after_seconds: number;
}

export interface ReplicaEntry extends StatusThresholds {
  replica: string;
  version: string;
  mode: string;
  status: ReplicaStatus;
  /** UTC, as Odoo writes a datetime ("2025-01-07 10:00:00"): the page formats it like Odoo's fields. */
  last_seen: string;
  age_seconds: number;
  started_at: string;
  outbox: { pending: number; in_flight: number; delivered: number; dead: number };
  /** Of the last report that delivered something (null before any), measured at `latency_measured_at` (UTC). */
  latency_ms: { p50: number; p95: number; max: number } | null;
  latency_measured_at: string | null;
}

export interface EventRow {
  event: string;
  today: Counts;
  period: Counts;
}

/** One event name's connection methods and our match estimate (models/../tools/server_saved.py). */
export interface ServerSavedRow {
  event: string;
  browser_and_server: number;
  server_only_blocked: number;
  server_only_withheld: number;
  not_said: number;
  /** 0 to 10, our estimate from match-key coverage (not TikTok's score); null: nothing delivered. */
  match_estimate: number | null;
}

export interface ServerSaved {
  rows: ServerSavedRow[];
  server_only_blocked: number;
  browser_and_server: number;
}

/** A content id sent over the match window that is not in the website's feed, and what is behind it. */
export interface UnmatchedContent {
  content_type: 'product' | 'product_group';
  content_id: string;
  count: number;
  /** Event name → how many of them sent it. */
  events: Record<string, number>;
  reason: string;
  reason_label: string;
  product_id?: number;
  product_name?: string;
  /** The product's content id now, where it has one. */
  current_content_id?: string;
}

/** One website's catalog match (models/../tools/catalog_match.py `match_summary`). */
export interface WebsiteCatalogMatch {
  website_id: number;
  website_name: string;
  events: number;
  matched: number;
  /** Percent with one decimal, rounded down; null: no content id sent over the window. */
  rate: number | null;
  unrecorded: number;
  /** ViewContent and CompleteRegistration of Odoo events: not products, left out of the rate. */
  event_pages: number;
  unmatched_ids: number;
  unmatched: UnmatchedContent[];
}

export interface CatalogMatch {
  window_days: number;
  goal: number;
  websites: WebsiteCatalogMatch[];
  /** Content ids the live replicas delivered but could not report. */
  not_counted: number;
}

export interface ChartPoint {
  day: string;
  label: string;
  delivered: number;
}

export interface ShareRow {
  key: string;
  label: string;
  count: number;
  percent: number | null;
}

export interface SourceCounts {
  source: string;
  label: string;
  events: number;
  rows: ShareRow[];
}

export interface LaneProblem {
  pixel_id: string;
  test: boolean;
  reason: string;
  code: number | null;
  sentence: string;
}

export type TestEventState = 'requested' | 'sent' | 'answered' | 'failed';

export interface TestEventStatus {
  id: number;
  website: string;
  state: TestEventState;
  state_label: string;
  code: number | null;
  message: string;
  replica: string;
}

export interface DashboardData {
  days: number;
  periods: number[];
  website_id: number | false;
  websites: { id: number; name: string }[];
  today: string;
  first_day: string;
  thresholds: StatusThresholds & { retention_days: number };
  sidecar: { status: SidecarStatus; replicas: ReplicaEntry[] };
  events: EventRow[];
  totals: { today: Counts; period: Counts };
  chart: ChartPoint[];
  server_saved: ServerSaved;
  catalog_match: CatalogMatch;
  purchases: { orders: number; rows: ShareRow[] };
  match_keys: { delivered: number; keys: ShareRow[] };
  lanes: LaneProblem[];
  dead_letters: { dead: number; requested: number };
  /** Apps installed without their TikTok bridge, one sentence each. */
  bridges: { module: string; sentence: string }[];
  /** The events of the other sources (CRM lead stages, offline Purchases) over the period. */
  sources: SourceCounts[];
  test_events: TestEventStatus[];
}

export interface ConnectionStatus {
  connected: boolean;
  replicas: { replica: string; version: string; last_seen: string; status: ReplicaStatus }[];
}
