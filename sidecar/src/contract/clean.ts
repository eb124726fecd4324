/**
 * Drop empty strings, null, undefined, NaN, empty arrays and empty objects, recursively.
 * TikTok treats an empty field as a value, which lowers match quality or fails validation.
 */
export function stripEmpty<T>(value: T): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return (value.trim() === '' ? undefined : value);
  if (typeof value === 'number') return (Number.isFinite(value) ? value : undefined);
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => stripEmpty(item)).filter((item) => item !== undefined);
    return (items.length ? items : undefined) as T | undefined;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => [key, stripEmpty(item)] as const)
      .filter(([, item]) => item !== undefined);
    return (entries.length ? Object.fromEntries(entries) : undefined) as T | undefined;
  }
  return value;
}
