import type { PageConfig } from './config';
import { stripEmpty } from './clean';
import { consentAllows, consentState, type ConsentState } from './consent';
import { captureTtclid, readTtp } from './attribution';
import type { CookieJar } from './cookies';
import { browserEventName, DEFAULT_EVENT_NAMES, type CanonicalEvent } from './eventNames';
import type { MatchKeys } from './hashing';
import { newEventId } from './ids';
import { cleanAddress, redactFreeText } from './privacy';
import { relayBatches, type RelayEvent, type RelayOutcome, type RelayTransport } from './relay';
import { keepUnsent, takeUnsent } from './unsent';
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
  store?: KeyValueStore;
  log?: (...args: unknown[]) => void;
  now?: () => number;
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

/** What the debug panel shows next to a relay status. */
function outcomeDetail(outcome: RelayOutcome): string | undefined {
  if (outcome.status === 'refused') return `${outcome.httpStatus} ${outcome.error ?? ''}`.trim();
  if (outcome.status === 'failed') return outcome.error;
  return outcome.status === 'accepted' && outcome.skipped ? 'skipped by the relay' : undefined;
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
 * Consent: with Odoo's cookie bar on, events are always handed to `ttq` (which
 * holds them itself until `grantConsent()`), but the relay copies wait with
 * the unsent ones (./unsent.ts) until optional cookies are accepted; a denial
 * keeps them waiting (never sent) in case the visitor changes their mind on a
 * later page. Relays the sidecar did not accept wait there too, and everything
 * waiting leaves on the next page load, on acceptance, or by beacon when the
 * page is left.
 */
export class Tracker {
  readonly records: FiredEvent[] = [];
  private readonly listeners = new Set<(records: readonly FiredEvent[]) => void>();
  private readonly seen: Set<string>;
  private consentOverride: ConsentState | undefined;
  readonly ttclid: string | undefined;

  constructor(private readonly deps: TrackerDeps) {
    this.seen = new Set(readJson<string[]>(deps.store, SEEN_KEY) ?? []);
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

    if (options.relay !== false && event !== 'Purchase') {
      const payload = this.relayPayload(event, eventId, props, identify);
      if (consentAllows(this.consent())) {
        this.relay([payload]);
      } else {
        keepUnsent(this.deps.store, [payload], this.now());
        record.relay = 'queued';
      }
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
   * Sends what waits (for consent, or for the sidecar to be back) once the
   * visitor allows it; `leaving`: by beacon, the page is going away.
   */
  flush(leaving = false): void {
    const consent = this.consent();
    if (!consentAllows(consent)) return;
    this.relay(
      takeUnsent(this.deps.store, this.now()).map((e) => ({ ...e, consent })),
      leaving,
    );
  }

  private relay(payloads: RelayEvent[], leaving = false): void {
    for (const batch of relayBatches(payloads)) {
      void this.deps.transport.send(batch, leaving).then((outcome) => {
        if (outcome.status === 'failed') keepUnsent(this.deps.store, batch, this.now());
        for (const record of this.records) {
          if (!batch.some((e) => e.event_id === record.eventId)) continue;
          record.relay = outcome.status;
          record.detail = outcomeDetail(outcome);
        }
        if (outcome.status !== 'accepted' && outcome.status !== 'sent') this.deps.log?.('[tiktok] relay', outcome);
        this.notify();
      });
    }
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
