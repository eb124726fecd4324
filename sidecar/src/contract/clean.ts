/**
 * Drop empty strings, null, undefined, NaN, empty arrays and empty objects, recursively.
 * TikTok treats an empty field as a value, which lowers match quality or fails validation.
 */
export function stripEmpty<T>(value: T): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return (value.trim() === '' ? undefined : value);
  if (typeof value === 'number') return (Number.isFinite(value) ? value : undefined);
  if (Array.isArray(value)) return stripEmptyItems(value) as T | undefined;
  if (typeof value === 'object') return stripEmptyFields(value as Record<string, unknown>) as T | undefined;
  return value;
}

// Plain loops rather than entries/map/filter/fromEntries: every relayed event passes here,
// and the intermediate arrays were a good part of the garbage the relay made per request.

function stripEmptyItems(items: readonly unknown[]): unknown[] | undefined {
  const kept: unknown[] = [];
  for (const item of items) {
    const cleaned = stripEmpty(item);
    if (cleaned !== undefined) kept.push(cleaned);
  }
  return kept.length ? kept : undefined;
}

function stripEmptyFields(fields: Record<string, unknown>): Record<string, unknown> | undefined {
  let kept: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const cleaned = stripEmpty(fields[key]);
    if (cleaned === undefined) continue;
    kept ??= {};
    // A `__proto__` key of parsed JSON stays a key: assigning it would swap the copy's
    // prototype, a computed key in a literal defines it.
    if (key === '__proto__') kept = { ...kept, [key]: cleaned };
    else kept[key] = cleaned;
  }
  return kept;
}
