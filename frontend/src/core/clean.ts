/**
 * TikTok rejects or mis-attributes empty strings, nulls and empty containers, so
 * every payload is stripped of them before it leaves the browser: the same rule
 * (the same file) as the sidecar's.
 */
export { stripEmpty } from '@contract/clean';

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
