/**
 * Web storage as JSON, never throwing: storage can be disabled (privacy
 * modes, sandboxed iframes) or full, and tracking must never break the shop.
 */
export interface KeyValueStore {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** sessionStorage (this tab's visit) or localStorage (every tab of the shop, closed ones too). */
export function webStore(kind: 'sessionStorage' | 'localStorage'): KeyValueStore | undefined {
  try {
    return globalThis[kind] ?? undefined;
  } catch {
    return undefined;
  }
}

/** The text stored under `key`; '' when there is none or storage cannot be read. */
export function readText(store: KeyValueStore | undefined, key: string): string {
  try {
    return store?.getItem(key) ?? '';
  } catch {
    return '';
  }
}

export function readJson<T>(store: KeyValueStore | undefined, key: string): T | undefined {
  try {
    return JSON.parse(readText(store, key)) as T;
  } catch {
    return undefined;
  }
}

export function writeJson(store: KeyValueStore | undefined, key: string, value: unknown): void {
  try {
    if (value === undefined) store?.removeItem(key);
    else store?.setItem(key, JSON.stringify(value));
  } catch {
    /* quota or disabled storage: the event just loses its carried context, or is not kept */
  }
}

/** The keys of `store` that start with `prefix` (read first: removing shifts the indices). */
export function keysStartingWith(store: KeyValueStore | undefined, prefix: string): string[] {
  const keys: string[] = [];
  for (let i = 0; store && i < store.length; i++) {
    const key = store.key(i);
    if (key?.startsWith(prefix)) keys.push(key);
  }
  return keys;
}

export const STORAGE_PREFIX = 'tiktok_events.';
