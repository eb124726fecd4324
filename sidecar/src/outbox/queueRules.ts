/**
 * What every outbox engine keeps the same, declared once; each engine renders it
 * in its own SQL (eventQueue.ts for SQLite, pg/eventQueue.ts for PostgreSQL).
 */

/** Longest error text kept per row. */
export const MAX_ERROR_CHARS = 1000;

export function storedError(text: string): string {
  return text.slice(0, MAX_ERROR_CHARS);
}

/**
 * The scrub of an old dead letter: it keeps what explains it (event, id, time,
 * TikTok's code and message) and loses what may identify a person: these keys of
 * the stored row entirely, and the query string and fragment of the page addresses.
 */
export const SCRUBBED_ROW_KEYS = ['user'] as const;

/** Where a stored row keeps page addresses (paths of keys); their query strings may carry personal data. */
export const PAGE_ADDRESS_PATHS: readonly (readonly string[])[] = [
  ['page', 'url'],
  ['page', 'referrer'],
];

/** An address is cut before the first of these characters. */
export const ADDRESS_CUT_CHARS = ['?', '#'] as const;
