/**
 * sessionStorage as JSON, never throwing: storage can be disabled (privacy
 * modes, sandboxed iframes) and tracking must never break the shop.
 */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function sessionStore(): KeyValueStore | undefined {
  try {
    return globalThis.sessionStorage ?? undefined;
  } catch {
    return undefined;
  }
}

export function readJson<T>(store: KeyValueStore | undefined, key: string): T | undefined {
  try {
    const raw = store?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : undefined;
  } catch {
    return undefined;
  }
}

export function writeJson(store: KeyValueStore | undefined, key: string, value: unknown): void {
  try {
    if (value === undefined) store?.removeItem(key);
    else store?.setItem(key, JSON.stringify(value));
  } catch {
    /* quota or disabled storage: the event just loses its carried context */
  }
}

export const STORAGE_PREFIX = 'tiktok_events.';
