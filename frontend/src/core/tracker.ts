import type { PageConfig } from './config';
import { stripEmpty } from './clean';
import { consentAllows, consentState, type ConsentState } from './consent';
import { captureTtclid, readTtp } from './attribution';
import type { CookieJar } from './cookies';
import { browserEventName, DEFAULT_EVENT_NAMES, type CanonicalEvent } from './eventNames';
import type { MatchKeys } from './hashing';
import { newEventId } from './ids';
import { cleanAddress, redactFreeText } from './privacy';
import type { PixelState } from '@contract/relay';
import { relayBatches, type RelayEvent, type RelayOutcome, type RelayTransport } from './relay';
import { KeptEvents } from './kept';
import { readJson, writeJson, STORAGE_PREFIX, type KeyValueStore } from './storage';

/** One pixel's calls, as `ttq.instance(pixelId)` returns them. */
export interface TtqPixel {
  track(event: string, properties: Record<string, unknown>, options: { event_id: string; pixel_code: string }): void;
  identify(keys: Record<string, string>): void;
}

/** The subset of TikTok's `ttq` the bundle calls. */
export interface Ttq {
  instance(pixelId: string): TtqPixel;
  grantConsent?(): void;
  revokeConsent?(): void;
}

export interface TrackerDeps {
  config: PageConfig;
  /** Looked up at each call: the inline base code may define `ttq` late, or not at all. */
  ttq: () => Ttq | undefined;
  transport: RelayTransport;
  jar: CookieJar;
  location: Pick<Location, 'href' | 'search' | 'protocol' | 'origin'>;
  referrer?: string;
  locale?: string;
  /** sessionStorage: this tab's memory (event ids already fired). */
  store?: KeyValueStore;
  /** localStorage: the relay events kept until the relay accepted them (./kept.ts). */
  kept?: KeyValueStore;
  log?: (...args: unknown[]) => void;
  now?: () => number;
  /** Whether TikTok's events.js loaded, as the head code saw it (PIXEL_STATE in ./config.ts). */
  pixel?: () => PixelState | undefined;
}

export interface TrackOptions {
  /** Defaults to a fresh uuid; the PageView and Purchase ids come from the page config. */
  eventId?: string;
  /** Hashed keys learnt on this page (forms), on top of the logged-in customer's. */
  user?: MatchKeys;
  /** false: relay only (PageView, whose browser copy the inline code already fired). */
  browser?: boolean;
  /** false: browser only (Purchase: the server copy comes from the sidecar's poller). */
  relay?: boolean;
  /** The relay copy is kept and sent by someone else (the inline head code's PageView): its outcome. */
  relayedBy?: Promise<RelayStatus>;
}

/** `queued`: kept, waiting for the visitor's consent; `sending`: kept, sent, the answer not read yet. */
export type RelayStatus = RelayOutcome['status'] | 'sending' | 'queued' | 'not relayed';

export interface FiredEvent {
  event: CanonicalEvent;
  name: string;
  eventId: string;
  properties: Record<string, unknown>;
  relay: RelayStatus;
  detail?: string;
}

/** What the debug panel shows next to a relay status. */
function outcomeDetail(outcome: RelayOutcome): string | undefined {
  return outcome.status === 'accepted' ? (outcome.skipped ? 'skipped by the relay' : undefined) : outcome.error;
}

const SEEN_KEY = STORAGE_PREFIX + 'seen_ids';
const SEEN_LIMIT = 200;

/**
 * Fires each event once per event id: `identify` (when hashes are known) and
 * `track(name, props, {event_id, pixel_code})` on `ttq.instance(pixel_id)`,
 * and the relay with the same id. Every call goes through our pixel's
 * instance (TikTok's way to address one pixel, the only one `identify` has)
 * and names it again in `pixel_code` (stape's way for `track`): another
 * TikTok pixel on the page (a tag manager, another module) never receives our
 * events or our visitor's keys.
 *
 * Nothing is lost between the page and the sidecar: each relay copy is kept
 * (./kept.ts) before it is sent and dropped once the relay's answer was read
 * (accepted, or refused for good: a refused batch is sent again one event at
 * a time, so that one bad event never takes the others with it). What the
 * relay did not accept, and what a page left before the answer came, leaves
 * again on the next page load, when the page is hidden or left, and on
 * consent.
 *
 * Consent: with Odoo's cookie bar on, events are always handed to `ttq` (which
 * holds them itself until `grantConsent()`), but the relay copies stay kept,
 * unsent, until optional cookies are accepted; a denial keeps them waiting
 * (never sent) in case the visitor changes their mind on a later page.
 */
export class Tracker {
  readonly records: FiredEvent[] = [];
  private readonly listeners = new Set<(records: readonly FiredEvent[]) => void>();
  private readonly seen: Set<string>;
  private consentOverride: ConsentState | undefined;
  /** Event ids this page is sending now: a flush meanwhile does not send them twice. */
  private readonly inFlight = new Set<string>();
  private readonly kept: KeptEvents;
  readonly ttclid: string | undefined;

  constructor(private readonly deps: TrackerDeps) {
    this.seen = new Set(readJson<string[]>(deps.store, SEEN_KEY) ?? []);
    // whose page this is: the logged-in customer's hashed external id, '' for a visitor
    this.kept = new KeptEvents(deps.kept, deps.config.pixel_id, deps.config.identify?.external_id ?? '');
    this.ttclid = captureTtclid(deps.jar, deps.location, this.consent());
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
    // One cleaned copy for the pixel and the relay alike.
    const props = redactFreeText((stripEmpty(properties) ?? {}));
    const name = browserEventName(event, { ...DEFAULT_EVENT_NAMES, ...config.event_names });
    const identify = this.identifyKeys(options.user);
    const record: FiredEvent = { event, name, eventId, properties: props, relay: 'not relayed' };
    this.records.push(record);

    if (options.browser !== false) {
      try {
        const pixel = this.deps.ttq()?.instance(config.pixel_id);
        if (pixel && Object.keys(identify).length) pixel.identify(identify);
        pixel?.track(name, props, { event_id: eventId, pixel_code: config.pixel_id });
      } catch (err) {
        this.deps.log?.('[tiktok] ttq call failed', err);
      }
    }
    this.deps.log?.('[tiktok]', name, eventId, props);

    if (options.relayedBy) {
      record.relay = 'sending';
      void options.relayedBy.then((status) => this.settle([eventId], status));
    } else if (options.relay !== false && event !== 'Purchase') {
      const payload = this.relayPayload(event, eventId, props, identify);
      // written ahead: kept before it is sent
      this.kept.keep([payload], this.now());
      record.relay = 'queued';
      if (consentAllows(this.consent())) this.send([payload]);
    }
    this.notify();
    return record;
  }

  /** `optionalCookiesAccepted`: release ttq's hold, keep this landing's click id, send the waiting relay copies. */
  grantConsent(): void {
    this.consentOverride = 'granted';
    this.deps.ttq()?.grantConsent?.();
    captureTtclid(this.deps.jar, this.deps.location, 'granted');
    this.flush();
  }

  /** `optionalCookiesDenied`: TikTok stops; relay copies stay queued, unsent. */
  denyConsent(): void {
    this.consentOverride = 'denied';
    this.deps.ttq()?.revokeConsent?.();
  }

  /**
   * Sends what is kept (waiting for consent, for the sidecar, or for an
   * answer a page left before it came) once the visitor allows it, except
   * what this page is sending now.
   */
  flush(): void {
    const consent = this.consent();
    if (!consentAllows(consent)) return;
    this.send(this.kept.list(this.now()).filter((e) => !this.inFlight.has(e.event_id)).map((e) => ({ ...e, consent })));
  }

  private send(payloads: RelayEvent[]): void {
    for (const batch of relayBatches(payloads)) void this.sendBatch(batch);
  }

  private async sendBatch(batch: RelayEvent[]): Promise<void> {
    const ids = batch.map((e) => e.event_id);
    ids.forEach((id) => this.inFlight.add(id));
    this.settle(ids, 'sending');
    const outcome = await this.deps.transport.send(batch);
    ids.forEach((id) => this.inFlight.delete(id));
    // The relay refuses a whole request for one bad event: each goes again alone.
    if (outcome.status === 'refused' && batch.length > 1) {
      for (const event of batch) void this.sendBatch([event]);
      return;
    }
    if (outcome.status !== 'failed') this.kept.drop(ids);
    if (outcome.status !== 'accepted') this.deps.log?.('[tiktok] relay', outcome);
    this.settle(ids, outcome.status, outcomeDetail(outcome));
  }

  private settle(ids: string[], status: RelayStatus, detail?: string): void {
    for (const record of this.records) {
      if (!ids.includes(record.eventId)) continue;
      record.relay = status;
      record.detail = detail;
    }
    this.notify();
  }

  private relayPayload(event: CanonicalEvent, eventId: string, properties: Record<string, unknown>, identify: Record<string, string>): RelayEvent {
    const { config, location, referrer, locale, jar } = this.deps;
    const consent = this.consent();
    return stripEmpty({
      pixel_id: config.pixel_id,
      event,
      event_id: eventId,
      event_time: Math.floor(this.now() / 1000),
      consent: consent === 'pending' ? 'denied' : consent,
      pixel: this.deps.pixel?.(),
      page: { url: cleanAddress(location.href), referrer: cleanAddress(referrer, location.origin) },
      user: {
        ...identify,
        phone_number: undefined,
        phone: identify.phone_number,
        ttclid: this.ttclid,
        ttp: readTtp(jar),
        locale,
      },
      properties,
    }) as RelayEvent;
  }

  /**
   * The logged-in customer's keys (the module omits empty ones and those the
   * website does not share), overridden by those learnt on this page; named
   * as `ttq.identify` names them (`phone_number`).
   */
  private identifyKeys(user: MatchKeys = {}): Record<string, string> {
    const { phone, ...learnt } = user;
    const keys: Record<string, string> = { ...this.deps.config.identify, ...learnt };
    if (phone) keys.phone_number = phone;
    return keys;
  }

  private remember(eventId: string): void {
    this.seen.add(eventId);
    writeJson(this.deps.store, SEEN_KEY, Array.from(this.seen).slice(-SEEN_LIMIT));
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private notify(): void {
    for (const listener of this.listeners) listener(this.records);
  }
}
