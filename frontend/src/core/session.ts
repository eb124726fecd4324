import { CONFIG_ELEMENT_ID, HEAD_RELAY, PIXEL_STATE, type PageConfig } from './config';
import type { DetectorContext } from './context';
import type { PixelState } from '@contract/relay';
import type { PhoneRuleLoader } from './hashing';
import { createRelayTransport, type RelayTransport } from './relay';
import { webStore, type KeyValueStore } from './storage';
import { Tracker, type RelayStatus, type Ttq } from './tracker';
import { trackProductView, trackPurchase, trackShopLanding } from './detectors/shop';
import { trackSearchLanding } from './detectors/engagement';
import { trackFormLanding } from './detectors/forms';
import { trackEventPageView, trackRegistrationSuccess } from './detectors/events';

/** Reads the module's config blob; undefined (tracking off) when absent or broken. */
export function readPageConfig(doc: Document): PageConfig | undefined {
  const el = doc.getElementById(CONFIG_ELEMENT_ID);
  if (!el?.textContent) return undefined;
  try {
    const config = JSON.parse(el.textContent) as PageConfig;
    if (typeof config.pixel_id === 'string' && config.pixel_id && typeof config.relay_url === 'string') return config;
  } catch {
    /* said below */
  }
  console.warn(`[tiktok] no usable #${CONFIG_ELEMENT_ID}: tracking is off`);
  return undefined;
}

export interface SessionOptions {
  transport?: RelayTransport;
  /** sessionStorage by default. */
  store?: KeyValueStore;
  /** Where relay events are kept until accepted (./kept.ts): localStorage by default. */
  kept?: KeyValueStore;
  now?: () => number;
  /** Where the phone rule comes from (Odoo: the module's static file, ../odoo/phoneRule.ts). */
  loadPhoneRule?: PhoneRuleLoader;
}

const NO_PHONE_RULE: PhoneRuleLoader = () => Promise.reject(new Error('no phone rule on this page'));

/** Everything one page needs: the tracker plus the context the detectors share. */
export function createSession(win: Window & typeof globalThis, config: PageConfig, options: SessionOptions = {}): DetectorContext {
  const doc = win.document;
  const store = options.store ?? webStore('sessionStorage');
  const now = options.now ?? Date.now;
  const nav = win.navigator;
  const transport = options.transport ?? createRelayTransport(config.relay_url, win.fetch?.bind(win));
  const tracker = new Tracker({
    config,
    ttq: () => (win as unknown as { ttq?: Ttq }).ttq,
    transport,
    jar: doc,
    location: win.location,
    referrer: doc.referrer,
    locale: nav.language,
    store,
    kept: options.kept ?? webStore('localStorage'),
    log: config.debug ? console.debug.bind(console) : undefined,
    now,
    pixel: () => (win as unknown as Record<string, PixelState | undefined>)[PIXEL_STATE],
  });
  const phone = { loadRule: options.loadPhoneRule ?? NO_PHONE_RULE, country: config.phone_country };
  return { tracker, store, location: win.location, now, page: {}, phone };
}

/**
 * Page-load events, in the order a shopper would expect them: the PageView
 * relay first (the inline code fired its browser copy with the same id, and
 * kept and sent the relay too when it could), then what earlier pages could
 * not send (once the inline code's request was answered), then whatever this
 * page itself means.
 */
export function trackPageLoad(ctx: DetectorContext, doc: Document): void {
  const { tracker } = ctx;
  const pageEventId = tracker.config.page_event_id;
  // the head code's promise never rejects: it resolves to what it read
  const head = (doc.defaultView as unknown as Record<string, { id: string; done: Promise<RelayStatus> } | undefined> | null)?.[HEAD_RELAY];
  const relayedBy = head?.id === pageEventId ? head.done : undefined;
  tracker.track('PageView', {}, { eventId: pageEventId, browser: false, relayedBy });
  if (relayedBy) void relayedBy.then(() => tracker.flush());
  else tracker.flush();
  trackProductView(ctx, doc);
  trackEventPageView(ctx, doc);
  trackShopLanding(ctx);
  trackPurchase(ctx);
  trackRegistrationSuccess(ctx, doc);
  trackSearchLanding(ctx, doc);
  trackFormLanding(ctx);
}
