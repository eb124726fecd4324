import type { PageConfig } from './config';
import { stripEmpty } from './clean';
import { consentState, type ConsentState } from './consent';
import { captureTtclid, readTtp } from './attribution';
import type { CookieJar } from './cookies';
import { browserEventName, DEFAULT_EVENT_NAMES, type CanonicalEvent } from './eventNames';
import type { MatchKeys } from './hashing';
import { newEventId } from './ids';
import { relayBatches, RELAY_BATCH_LIMIT, type RelayEvent, type RelayOutcome, type RelayTransport } from './relay';
import { readJson, writeJson, STORAGE_PREFIX, type KeyValueStore } from './storage';

/** The subset of TikTok's `ttq` the bundle calls. */
export interface Ttq {
  track(event: string, properties: Record<string, unknown>, options: { event_id: string }): void;
  identify(keys: Record<string, string>): void;
  grantConsent?(): void;
  revokeConsent?(): void;
}

export interface TrackerDeps {
  config: PageConfig;
  /** Looked up at each call: the inline base code may define `ttq` late, or not at all. */
  ttq: () => Ttq | undefined;
  transport: RelayTransport;
  jar: CookieJar;
  location: Pick<Location, 'href' | 'search' | 'protocol'>;
  referrer?: string;
  locale?: string;
  store?: KeyValueStore;
  log?: (...args: unknown[]) => void;
  now?: () => number;
}

export interface TrackOptions {
  /** Defaults to a fresh uuid; the PageView and Purchase ids come from the page config. */
  eventId?: string;
  /** Hashed keys learnt on this page (forms), on top of the logged-in customer's. */
  user?: MatchKeys;
  /** false: relay only (PageView, whose `ttq.page()` the inline code already made). */
  browser?: boolean;
  /** false: browser only (Purchase: the server copy comes from the sidecar's poller). */
  relay?: boolean;
}

export type RelayStatus = RelayOutcome['status'] | 'queued' | 'not relayed';

export interface FiredEvent {
  event: CanonicalEvent;
  name: string;
  eventId: string;
  properties: Record<string, unknown>;
  relay: RelayStatus;
  detail?: string;
}

const QUEUE_KEY = STORAGE_PREFIX + 'consent_queue';
const SEEN_KEY = STORAGE_PREFIX + 'seen_ids';
/** A visitor who never answers the cookie bar should not grow storage forever. */
const QUEUE_LIMIT = 60;
const SEEN_LIMIT = 200;

/**
 * Fires each event once per event id: `ttq.identify` (when hashes are known),
 * `ttq.track(name, props, {event_id})`, and the relay with the same id.
 *
 * Consent: with Odoo's cookie bar on, events are always handed to `ttq` (which
 * holds them itself until `grantConsent()`), but the relay copies wait in a
 * session queue until optional cookies are accepted; a denial keeps them
 * queued (never sent) in case the visitor changes their mind on a later page.
 */
export class Tracker {
  readonly records: FiredEvent[] = [];
  private readonly listeners = new Set<(records: readonly FiredEvent[]) => void>();
  private readonly seen: Set<string>;
  private consentOverride: ConsentState | undefined;
  readonly ttclid: string | undefined;

  constructor(private readonly deps: TrackerDeps) {
    this.seen = new Set(readJson<string[]>(deps.store, SEEN_KEY) ?? []);
    this.ttclid = captureTtclid(deps.jar, deps.location);
  }

  get config(): PageConfig {
    return this.deps.config;
  }

  consent(): ConsentState {
    return this.consentOverride ?? consentState(this.deps.jar, this.deps.config.consent_required);
  }

  /** Subscribes to every change of the fired-events list (the debug panel). */
  subscribe(listener: (records: readonly FiredEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  track(event: CanonicalEvent, properties: Record<string, unknown> = {}, options: TrackOptions = {}): FiredEvent | undefined {
    const eventId = options.eventId ?? newEventId();
    if (this.seen.has(eventId)) return undefined;
    this.remember(eventId);

    const { config } = this.deps;
    const props = (stripEmpty(properties) ?? {}) as Record<string, unknown>;
    const name = browserEventName(event, { ...DEFAULT_EVENT_NAMES, ...config.event_names });
    const identify = this.identifyKeys(options.user);
    const record: FiredEvent = { event, name, eventId, properties: props, relay: 'not relayed' };
    this.records.push(record);

    if (options.browser !== false && event !== 'PageView') {
      const ttq = this.deps.ttq();
      try {
        if (ttq && Object.keys(identify).length) ttq.identify(identify);
        ttq?.track(name, props, { event_id: eventId });
      } catch (err) {
        this.deps.log?.('[tiktok] ttq call failed', err);
      }
    }
    this.deps.log?.('[tiktok]', name, eventId, props);

    if (options.relay !== false && event !== 'Purchase') {
      const payload = this.relayPayload(event, eventId, props, identify);
      const consent = this.consent();
      if (consent === 'pending' || consent === 'denied') {
        this.enqueue(payload);
        record.relay = 'queued';
      } else {
        this.relay([payload], [record]);
      }
    }
    this.notify();
    return record;
  }

  /** `optionalCookiesAccepted`: release ttq's hold and the queued relay copies. */
  grantConsent(): void {
    this.consentOverride = 'granted';
    this.deps.ttq()?.grantConsent?.();
    this.flushQueue();
  }

  /** `optionalCookiesDenied`: TikTok stops; relay copies stay queued, unsent. */
  denyConsent(): void {
    this.consentOverride = 'denied';
    this.deps.ttq()?.revokeConsent?.();
  }

  /** Sends what earlier pages queued, once consent is known to be granted. */
  flushQueue(): void {
    const consent = this.consent();
    if (consent !== 'granted' && consent !== 'not_required') return;
    const queued = readJson<RelayEvent[]>(this.deps.store, QUEUE_KEY) ?? [];
    if (!queued.length) return;
    writeJson(this.deps.store, QUEUE_KEY, undefined);
    const records = queued.map((q) => this.records.find((r) => r.eventId === q.event_id));
    this.relay(
      queued.map((q) => ({ ...q, consent })),
      records,
    );
    this.notify();
  }

  private relay(payloads: RelayEvent[], records: Array<FiredEvent | undefined>): void {
    for (const [index, batch] of relayBatches(payloads).entries()) {
      const batchRecords = records.slice(index * RELAY_BATCH_LIMIT, index * RELAY_BATCH_LIMIT + batch.length);
      void this.deps.transport.send(batch).then((outcome) => {
        for (const record of batchRecords) {
          if (!record) continue;
          record.relay = outcome.status;
          if (outcome.status === 'refused') record.detail = `${outcome.httpStatus} ${outcome.error ?? ''}`.trim();
          if (outcome.status === 'failed') record.detail = outcome.error;
          if (outcome.status === 'accepted' && outcome.skipped) record.detail = 'skipped by the relay';
        }
        if (outcome.status !== 'accepted' && outcome.status !== 'sent') this.deps.log?.('[tiktok] relay', outcome);
        this.notify();
      });
    }
  }

  private relayPayload(event: CanonicalEvent, eventId: string, properties: Record<string, unknown>, identify: Record<string, string>): RelayEvent {
    const { config, location, referrer, locale, jar } = this.deps;
    const now = this.deps.now ?? Date.now;
    const consent = this.consent();
    return stripEmpty({
      pixel_id: config.pixel_id,
      event,
      event_id: eventId,
      event_time: Math.floor(now() / 1000),
      consent: consent === 'pending' ? 'denied' : consent,
      page: { url: location.href, referrer },
      user: {
        email: identify.email,
        phone: identify.phone_number,
        external_id: identify.external_id,
        ttclid: this.ttclid,
        ttp: readTtp(jar),
        locale,
      },
      properties,
    }) as RelayEvent;
  }

  private identifyKeys(user: MatchKeys | undefined): Record<string, string> {
    const keys: Record<string, string> = { ...(this.deps.config.identify ?? {}) } as Record<string, string>;
    if (user?.email) keys.email = user.email;
    if (user?.phone) keys.phone_number = user.phone;
    return (stripEmpty(keys) ?? {}) as Record<string, string>;
  }

  private enqueue(payload: RelayEvent): void {
    const queued = readJson<RelayEvent[]>(this.deps.store, QUEUE_KEY) ?? [];
    queued.push(payload);
    writeJson(this.deps.store, QUEUE_KEY, queued.slice(-QUEUE_LIMIT));
  }

  private remember(eventId: string): void {
    this.seen.add(eventId);
    writeJson(this.deps.store, SEEN_KEY, Array.from(this.seen).slice(-SEEN_LIMIT));
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.records);
  }
}
