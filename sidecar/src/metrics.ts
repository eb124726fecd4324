import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventQueue } from './outbox/eventQueue';

/** What the lane gauge reads of each dispatcher lane. */
interface LaneGaugeSource {
  pixelId: string;
  state: 'running' | 'paused';
  reason?: string;
}

/** Every metric the sidecar exposes on /metrics, in one registry per process (tests build several). */
export class Metrics {
  readonly registry = new Registry();

  readonly accepted = new Counter({
    name: 'tiktok_relay_accepted_total',
    help: 'Events accepted by the relay and stored in the outbox, by event',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'tiktok_relay_refused_total',
    help: 'Relay requests refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rowsRefused = new Counter({
    name: 'tiktok_outbox_rows_refused_total',
    help: 'Events from Odoo (by claim queue) whose row broke the contract at the outbox\'s gate: reported failed to Odoo, never sent',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'tiktok_outbox_duplicates_total',
    help: 'Events absorbed because their (pixel, event, event_id) was already in the outbox',
    registers: [this.registry],
  });
  readonly delivered = new Counter({
    name: 'tiktok_events_delivered_total',
    help: 'Events TikTok accepted',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly retried = new Counter({
    name: 'tiktok_events_retried_total',
    help: 'Events scheduled for another attempt, by reason class',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly dead = new Counter({
    name: 'tiktok_events_dead_total',
    help: 'Events parked as dead letters',
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'tiktok_api_requests_total',
    help: 'Requests sent to the Events API, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'tiktok_batch_size',
    help: 'Events per Events API request',
    buckets: [1, 10, 50, 100, 250, 500, 750, 1000],
    registers: [this.registry],
  });
  readonly deliveryLatency = new Histogram({
    name: 'tiktok_delivery_latency_seconds',
    help: 'Time from acceptance into the outbox to TikTok accepting the event',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });
  readonly lanePauses = new Counter({
    name: 'tiktok_lane_pauses_total',
    help: 'Lanes paused by a problem of the request (token, address, a refusal of every event), once per problem, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly connectionsShed = new Counter({
    name: 'tiktok_connections_shed_total',
    help: 'Connections closed to keep a connection cap, by listener, cap (address_cap, total_cap) and which one was closed (an idle one, or the new one when none was idle)',
    labelNames: ['listener', 'reason', 'closed'] as const,
    registers: [this.registry],
  });
  private outbox?: Pick<EventQueue, 'counts'>;
  private lanes?: () => readonly LaneGaugeSource[];
  readonly queueDepth: Gauge<'state'>;
  readonly lanePaused: Gauge<'pixel' | 'reason'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    // prom-client calls collect() with the gauge as `this`: read the watched sources through closures.
    const outbox = () => this.outbox;
    const lanes = () => this.lanes?.() ?? [];
    this.queueDepth = new Gauge({
      name: 'tiktok_outbox_events',
      help: 'Events in the outbox, by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      // Read at scrape time from the store rather than tracked by hand.
      async collect() {
        const counts = await outbox()?.counts();
        if (!counts) return;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    this.lanePaused = new Gauge({
      name: 'tiktok_lane_paused',
      help: 'Lanes paused now (1), by pixel and reason; events of a paused lane wait in the outbox',
      labelNames: ['pixel', 'reason'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const lane of lanes()) {
          if (lane.state === 'paused' && lane.reason) this.set({ pixel: lane.pixelId, reason: lane.reason }, 1);
        }
      },
    });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  watchOutbox(queue: Pick<EventQueue, 'counts'>): void {
    this.outbox = queue;
  }

  readonly outboxCorrupt = new Counter({
    name: 'tiktok_outbox_corrupt_total',
    help: 'Outbox files found corrupt at start, moved aside and replaced by a fresh outbox holding what could be read',
    registers: [this.registry],
  });

  readonly outboxSalvaged = new Counter({
    name: 'tiktok_outbox_salvaged_events_total',
    help: 'Events read back from corrupt outbox files into the fresh outbox that replaced them',
    registers: [this.registry],
  });

  watchLanes(states: () => readonly LaneGaugeSource[]): void {
    this.lanes = states;
  }
}
