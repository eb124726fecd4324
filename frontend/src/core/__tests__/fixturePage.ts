import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { TextEncoder } from 'node:util';
import { HEAD_RELAY, type PageConfig } from '../config';
import type { RelayEvent, RelayOutcome, RelayTransport } from '../relay';
import { createSession } from '../session';
import { normalizePhone } from '../../phone/main';
import type { DetectorContext } from '../context';
import type { KeyValueStore } from '../storage';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'tests', 'fixtures', 'odoo19');

export const BASE_CONFIG: PageConfig = {
  pixel_id: 'C4A1B2C3D4E5F6G7H8I9',
  website_id: 1,
  relay_url: '/tiktok/relay',
  page_event_id: 'pv-1',
  currency: 'USD',
  consent_required: false,
};

/** Web storage stand-in shared across "pages" of one visit. */
export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  get length() {
    return this.data.size;
  }
  key(index: number) {
    return [...this.data.keys()][index] ?? null;
  }
  getItem(key: string) {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.data.set(key, value);
  }
  removeItem(key: string) {
    this.data.delete(key);
  }
}

export interface TtqCall {
  method: 'track' | 'identify' | 'grantConsent' | 'revokeConsent';
  args: unknown[];
  /** The pixel whose `ttq.instance()` received the call; page-wide calls (consent) have none. */
  pixel?: string;
}

/** A recording `ttq`: every call lands in `calls`. */
export function recordingTtq(calls: TtqCall[]) {
  return {
    instance: (pixel: string) => ({
      track: (...args: unknown[]) => calls.push({ method: 'track', args, pixel }),
      identify: (...args: unknown[]) => calls.push({ method: 'identify', args, pixel }),
    }),
    grantConsent: () => calls.push({ method: 'grantConsent', args: [] }),
    revokeConsent: () => calls.push({ method: 'revokeConsent', args: [] }),
  };
}

export interface LoadedPage {
  doc: Document;
  ctx: DetectorContext;
  ttq: TtqCall[];
  /** Every event handed to the relay transport. */
  relayed: RelayEvent[];
  /** Every transport call: the ids of its events. */
  sends: string[][];
  /** What the relay answers (default: accepted); set it before the events are sent. */
  answer: (events: RelayEvent[]) => RelayOutcome | Promise<RelayOutcome>;
  tracks(): Array<{ name: string; props: Record<string, any>; eventId: string; pixelCode: string; pixel?: string }>;
  flush(): Promise<void>;
  /** Waits until `condition` holds (hashing runs on WebCrypto's thread pool: a busy machine takes more than a tick). */
  until(condition: () => boolean, timeoutMs?: number): Promise<void>;
}

// jest's jsdom has no SubtleCrypto: lend it Node's WebCrypto (the same API browsers have).
if (!globalThis.crypto?.subtle) Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
// jest's jsdom predates URL.canParse (browsers have it since 2023), which the shared privacy rules use.
if (typeof (URL as any).canParse !== 'function') {
  Object.defineProperty(URL, 'canParse', {
    value: (url: string, base?: string) => {
      try {
        new URL(url, base);
        return true;
      } catch {
        return false;
      }
    },
    configurable: true,
  });
}
if (typeof globalThis.TextEncoder === 'undefined') Object.defineProperty(globalThis, 'TextEncoder', { value: TextEncoder, configurable: true });

/** Forgets the cookies of the previous test (the jsdom window lives for the whole file). */
export function clearCookies(): void {
  for (const part of document.cookie.split(';')) {
    const name = part.split('=')[0].trim();
    if (name) document.cookie = `${name}=; Max-Age=0; Path=/`;
  }
}

/**
 * Turns jest's jsdom window into one real Odoo 19 page (captured by
 * scripts/captureFixtures.ts) at `url` (same origin as the test window),
 * with a recording `ttq` and relay transport. The store plays sessionStorage
 * and localStorage across the "pages" of one visit.
 */
export function loadPage(fixture: string, url: string, config: Partial<PageConfig> = {}, store = new MemoryStore(), now = () => 1_732_500_000_000): LoadedPage {
  const html = readFileSync(join(FIXTURES, `${fixture}.html`), 'utf8');
  window.history.replaceState(null, '', url);
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  document.replaceChild(document.adoptNode(parsed.documentElement), document.documentElement);
  const win = window;
  delete (win as any)[HEAD_RELAY];
  const ttq: TtqCall[] = [];
  (win as any).ttq = recordingTtq(ttq);
  const relayed: RelayEvent[] = [];
  const sends: LoadedPage['sends'] = [];
  const transport: RelayTransport = {
    send: async (events) => {
      relayed.push(...events);
      sends.push(events.map((e) => e.event_id));
      return page.answer(events);
    },
  };
  const ctx = createSession(win, { ...BASE_CONFIG, ...config }, { transport, store, kept: store, now, loadPhoneRule: async () => normalizePhone });
  const page: LoadedPage = {
    doc: win.document,
    ctx,
    ttq,
    relayed,
    sends,
    answer: (events) => ({ status: 'accepted', accepted: events.length }),
    tracks: () =>
      ttq
        .filter((c) => c.method === 'track')
        .map((c) => {
          const options = c.args[2] as { event_id: string; pixel_code: string };
          return { name: c.args[0] as string, props: c.args[1] as Record<string, any>, eventId: options.event_id, pixelCode: options.pixel_code, pixel: c.pixel };
        }),
    flush: () => new Promise((resolve) => setTimeout(resolve, 0)),
    until: async (condition, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
  return page;
}
