import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { TextEncoder } from 'node:util';
import type { PageConfig } from '../config';
import type { RelayEvent, RelayTransport } from '../relay';
import { createSession } from '../session';
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

/** sessionStorage stand-in shared across "pages" of one visit. */
export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
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
}

export interface LoadedPage {
  doc: Document;
  ctx: DetectorContext;
  ttq: TtqCall[];
  relayed: RelayEvent[];
  tracks(): Array<{ name: string; props: Record<string, any>; eventId: string }>;
  flush(): Promise<void>;
}

// jest's jsdom has no SubtleCrypto: lend it Node's WebCrypto (the same API browsers have).
if (!globalThis.crypto?.subtle) Object.defineProperty(globalThis, 'crypto', { value: webcrypto, configurable: true });
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
 * scripts/capture-fixtures.ts) at `url` (same origin as the test window),
 * with a recording `ttq` and relay transport. The store plays sessionStorage
 * across the "pages" of one visit.
 */
export function loadPage(fixture: string, url: string, config: Partial<PageConfig> = {}, store = new MemoryStore(), now = () => 1_732_500_000_000): LoadedPage {
  const html = readFileSync(join(FIXTURES, `${fixture}.html`), 'utf8');
  window.history.replaceState(null, '', url);
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  document.replaceChild(document.adoptNode(parsed.documentElement), document.documentElement);
  const win = window;
  const ttq: TtqCall[] = [];
  (win as any).ttq = {
    track: (...args: unknown[]) => ttq.push({ method: 'track', args }),
    identify: (...args: unknown[]) => ttq.push({ method: 'identify', args }),
    grantConsent: () => ttq.push({ method: 'grantConsent', args: [] }),
    revokeConsent: () => ttq.push({ method: 'revokeConsent', args: [] }),
  };
  const relayed: RelayEvent[] = [];
  const transport: RelayTransport = {
    send: async (events) => {
      relayed.push(...events);
      return { status: 'accepted', accepted: events.length };
    },
  };
  const ctx = createSession(win, { ...BASE_CONFIG, ...config }, { transport, store, now });
  return {
    doc: win.document,
    ctx,
    ttq,
    relayed,
    tracks: () =>
      ttq
        .filter((c) => c.method === 'track')
        .map((c) => ({ name: c.args[0] as string, props: c.args[1] as Record<string, any>, eventId: (c.args[2] as { event_id: string }).event_id })),
    flush: () => new Promise((resolve) => setTimeout(resolve, 0)),
  };
}
