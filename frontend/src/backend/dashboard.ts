import { Component, onWillStart, onWillUnmount, useState } from '@odoo/owl';
import { _t } from './translate';
import { useService, type OrmService, type ActionService } from '@web/core/utils/hooks';
import { Layout } from '@web/search/layout';
import { shownAge, shownTime } from './times';
import type { DashboardData, ReplicaEntry, SourceCounts, StatusThresholds, WebsiteCatalogMatch } from './types';
import { activeEventRows, chart, eventCountsText, matchBadgeClass, percentText, statusBadgeClass } from './view';

/** The sidecar's status is worth a fresh look this often while the page is open. */
export const REFRESH_MS = 30_000;

interface DashboardState {
  days: number;
  websiteId: number | false;
  data: DashboardData | null;
  error: string;
}

/**
 * Website > Reporting > TikTok: the sidecar's replicas, what happened to each
 * event, Purchase coverage, match keys, paused lanes in plain words, dead
 * letters and test events. One call to the module
 * (`tiktok.sidecar.report.tiktok_dashboard_data`) feeds it all.
 */
export class TikTokDashboard extends Component {
  /** In ./dashboard.xml, beside this file. */
  static override template = 'website_tiktok_events.Dashboard';
  static components = { Layout };
  static override props = ['*'];

  state!: DashboardState;
  orm!: OrmService;
  action!: ActionService;
  readonly statusBadgeClass = statusBadgeClass;
  readonly percentText = percentText;
  readonly matchBadgeClass = matchBadgeClass;
  readonly eventCountsText = eventCountsText;
  readonly shownTime = shownTime;

  override setup(): void {
    this.orm = useService('orm');
    this.action = useService('action');
    this.state = useState<DashboardState>({ days: 7, websiteId: false, data: null, error: '' });
    onWillStart(() => this.load());
    const timer = setInterval(() => void this.load(), REFRESH_MS);
    onWillUnmount(() => clearInterval(timer));
  }

  get display(): Record<string, unknown> {
    return { controlPanel: {} };
  }

  get eventRows() {
    return this.state.data ? activeEventRows(this.state.data.events) : [];
  }

  get chart() {
    return chart(this.state.data ? this.state.data.chart : []);
  }

  get thresholdsText(): string {
    return this.statusRule(this.state.data!.thresholds);
  }

  /** The status rule in seconds, as the module applies it (tools/control_room.py `status_thresholds`). */
  statusRule(t: StatusThresholds): string {
    return _t('A replica reports every %(interval)s seconds: it reads lagging after %(lagging)s seconds without a report, and down after %(down)s seconds.', {
      interval: t.interval_seconds,
      lagging: t.lagging_after_seconds,
      down: t.down_after_seconds,
    });
  }

  /** The p95 latency of the last report that delivered something, or a dash before any. */
  latencyText(replica: ReplicaEntry): string {
    return replica.latency_ms ? this.milliseconds(replica.latency_ms.p95) : '–';
  }

  latencyAge(replica: ReplicaEntry): string {
    return shownAge(replica.latency_measured_at);
  }

  get eventsTitle(): string {
    const data = this.state.data!;
    return _t('Events: today and the last %(days)s days (%(first)s – %(today)s, UTC days)', {
      days: data.days,
      first: data.first_day,
      today: data.today,
    });
  }

  get purchasesTitle(): string {
    const data = this.state.data!;
    return _t('Purchase of the confirmed web orders: %(orders)s over the last %(days)s days', {
      orders: data.purchases.orders,
      days: data.days,
    });
  }

  sourceTitle(source: SourceCounts): string {
    return _t('%(source)s events: %(events)s over the last %(days)s days', { source: source.label, events: source.events, days: this.state.data!.days });
  }

  get deadLettersText(): string {
    const { dead, requested } = this.state.data!.dead_letters;
    const parts = [dead ? _t('Dead letters (events TikTok refused for good): %s.', dead) : _t('No dead letters.')];
    if (requested) parts.push(_t('%s waiting to be sent again.', requested));
    return parts.join(' ');
  }

  get catalogMatchTitle(): string {
    return _t('Catalog match (last %s days)', this.state.data!.catalog_match.window_days);
  }

  matchSentence(site: WebsiteCatalogMatch): string {
    const goal = this.state.data!.catalog_match.goal;
    const parts = [
      site.events
        ? _t("%(matched)s of %(events)s content ids sent on ViewContent, AddToCart and Purchase are in the website's TikTok catalog feed (goal: at least %(goal)s %, and 100 % is reachable).", {
            matched: site.matched,
            events: site.events,
            goal,
          })
        : _t('No content id sent yet.'),
    ];
    if (site.event_pages) parts.push(_t('%s sent by event pages are left out: an event is not a product of the catalog.', site.event_pages));
    if (site.unrecorded) parts.push(_t('%s more could not be kept (ids no catalog can hold, or more distinct ids in a day than are kept).', site.unrecorded));
    return parts.join(' ');
  }

  currentIdText(contentId: string): string {
    return _t('now %s', contentId);
  }

  unmatchedShownText(site: WebsiteCatalogMatch): string {
    return _t('The %(shown)s sent most often of %(all)s content ids not in the feed.', { shown: site.unmatched.length, all: site.unmatched_ids });
  }

  get notCountedText(): string {
    return _t('The sidecar delivered %s content ids it could not report here (more distinct ids in one report than a report carries).', this.state.data!.catalog_match.not_counted);
  }

  daysLabel(days: number): string {
    return _t('%s days', days);
  }

  milliseconds(value: number): string {
    return _t('%s ms', value);
  }

  async load(): Promise<void> {
    try {
      this.state.data = await this.orm.call<DashboardData>('tiktok.sidecar.report', 'tiktok_dashboard_data', [], {
        days: this.state.days,
        website_id: this.state.websiteId,
      });
      this.state.error = '';
    } catch (error) {
      this.state.error = _t('The TikTok dashboard could not be loaded: %s', errorMessage(error));
    }
  }

  async setDays(days: number): Promise<void> {
    this.state.days = days;
    await this.load();
  }

  async setWebsite(event: Event): Promise<void> {
    const value = Number((event.target as HTMLSelectElement).value);
    this.state.websiteId = value > 0 ? value : false;
    await this.load();
  }

  openProduct(productId: number): Promise<unknown> {
    return this.action.doAction({ type: 'ir.actions.act_window', res_model: 'product.product', res_id: productId, views: [[false, 'form']] });
  }

  openDeadLetters(): Promise<unknown> {
    return this.action.doAction('website_tiktok_events.action_tiktok_dead_letter');
  }
}

export function errorMessage(error: unknown): string {
  const data = (error as { data?: { message?: unknown } } | null)?.data;
  if (data && typeof data.message === 'string') return data.message;
  return error instanceof Error ? error.message : String(error);
}
