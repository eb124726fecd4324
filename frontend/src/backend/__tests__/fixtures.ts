import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DashboardData } from '../types';

/** The module's OWL templates, as Odoo loads them in web.assets_backend. */
export const TEMPLATES = readFileSync(
  join(__dirname, '..', '..', '..', '..', 'addon', 'website_tiktok_events', 'static', 'src', 'xml', 'tiktok_control_room.xml'),
  'utf8',
);

const zero = { accepted: 0, delivered: 0, retried: 0, dead: 0 };

export function dashboardData(overrides: Partial<DashboardData> = {}): DashboardData {
  return {
    days: 7,
    periods: [7, 30],
    website_id: false,
    websites: [
      { id: 1, name: 'My Website' },
      { id: 2, name: 'Second shop' },
    ],
    today: 'Jan 7, 2025',
    first_day: 'Jan 1, 2025',
    thresholds: { interval_seconds: 5, lagging_after_seconds: 15, down_after_seconds: 20, retention_days: 90 },
    sidecar: {
      status: 'connected',
      replicas: [
        {
          replica: 'shop-sidecar-1',
          version: '0.1.0',
          mode: 'odoo',
          status: 'connected',
          last_seen: '2025-01-07 10:00:00',
          age_seconds: 2,
          interval_seconds: 5,
          lagging_after_seconds: 15,
          down_after_seconds: 20,
          started_at: '',
          outbox: { pending: 3, in_flight: 0, delivered: 1200, dead: 1 },
          latency_ms: { p50: 800, p95: 2100, max: 4000 },
          latency_measured_at: '2025-01-07 09:58:00',
        },
      ],
    },
    events: [
      { event: 'PageView', today: { ...zero }, period: { ...zero } },
      { event: 'AddToCart', today: { accepted: 3, delivered: 2, retried: 1, dead: 0 }, period: { accepted: 10, delivered: 9, retried: 1, dead: 1 } },
    ],
    totals: { today: { accepted: 3, delivered: 2, retried: 1, dead: 0 }, period: { accepted: 10, delivered: 9, retried: 1, dead: 1 } },
    chart: [
      { day: '2025-01-06', label: 'Jan 6', delivered: 0 },
      { day: '2025-01-07', label: 'Jan 7', delivered: 9 },
    ],
    server_saved: {
      rows: [{ event: 'AddToCart', browser_and_server: 6, server_only_blocked: 3, server_only_withheld: 2, not_said: 1, match_estimate: 4.2 }],
      server_only_blocked: 3,
      browser_and_server: 6,
    },
    catalog_match: {
      window_days: 7,
      goal: 90,
      websites: [
        {
          website_id: 1,
          website_name: 'My Website',
          events: 10,
          matched: 9,
          rate: 90,
          unrecorded: 0,
          event_pages: 0,
          unmatched_ids: 1,
          unmatched: [
            {
              content_type: 'product',
              content_id: 'MUG-1',
              count: 1,
              events: { AddToCart: 1 },
              reason: 'reference_changed',
              reason_label: 'Its internal reference changed: events sent the former one',
              product_id: 7,
              product_name: 'Mug',
              current_content_id: 'MUG-2',
            },
          ],
        },
      ],
      not_counted: 0,
    },
    purchases: {
      orders: 4,
      rows: [
        { key: 'sent', label: 'Sent', count: 3, percent: 75 },
        { key: 'skipped:no_consent', label: 'Not sent: The buyer did not consent to optional cookies', count: 1, percent: 25 },
      ],
    },
    match_keys: { delivered: 9, keys: [{ key: 'email', label: 'E-mail', count: 3, percent: 33 }] },
    lanes: [
      {
        pixel_id: 'C4A1B2C3D4E5F6G7H8I9',
        test: false,
        reason: 'token_refused',
        code: 40105,
        sentence: 'TikTok refused the access token of pixel C4A1B2C3D4E5F6G7H8I9 since 03:12 (code 40105: revoked).',
      },
    ],
    dead_letters: { dead: 2, requested: 0 },
    bridges: [],
    sources: [],
    test_events: [],
    ...overrides,
  };
}
