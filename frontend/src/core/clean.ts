/**
 * TikTok rejects or mis-attributes empty strings, nulls and empty containers,
 * so every payload is stripped of them before it leaves the browser.
 */
export function stripEmpty<T>(value: T): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return (value.trim() === '' ? undefined : value) as T | undefined;
  if (typeof value === 'number') return (Number.isFinite(value) ? value : undefined) as T | undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => stripEmpty(item)).filter((item) => item !== undefined);
    return (items.length ? items : undefined) as T | undefined;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const cleaned = stripEmpty(item);
      if (cleaned !== undefined) out[key] = cleaned;
    }
    return (Object.keys(out).length ? out : undefined) as T | undefined;
  }
  return value;
}

/** Parses a price or quantity the way Odoo renders it ("1,350.00", "675.5"); NaN-safe. */
export function toNumber(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const compact = raw.replace(/[^\d.,-]/g, '');
  if (!compact) return undefined;
  // "1.234,56" (comma decimal) vs "1,234.56" (dot decimal): the last separator wins.
  const lastComma = compact.lastIndexOf(',');
  const lastDot = compact.lastIndexOf('.');
  const normalized =
    lastComma > lastDot ? compact.replace(/\./g, '').replace(',', '.') : compact.replace(/,/g, '');
  const n = Number.parseFloat(normalized);
  return Number.isFinite(n) ? n : undefined;
}

/** Money rounded to cents, so float noise (0.1 + 0.2) never reaches TikTok. */
export function roundMoney(n: number): number {
  return Math.round(n * 100) / 100;
}
