import { TIKTOK_EVENT_NAMES } from './eventNames';
import { normalizePlace } from './normalize';
import type { TikTokEventRow } from './types';

/** How old an event may be before it is refused instead of sent (TikTok accepts about 7 days). */
export const MAX_EVENT_AGE_SECONDS = 7 * 24 * 3600;
/** Clock skew tolerated for events stamped in the future. */
export const MAX_FUTURE_SKEW_SECONDS = 5 * 60;

/** A hashed match key as every input boundary checks it (relay, RPC answers); the pixel code's format is the contract's (`contract/constants.ts`). */
export const SHA256_HEX_LOWER = /^[a-f0-9]{64}$/;

/**
 * ISO 4217 codes of the currencies shops price in: List One as amended up to the
 * Caribbean guilder (XCG, 2025), without the codes that are no money to pay with
 * (precious metals, bond-market and IMF units, testing, "no currency").
 * `Intl.supportedValuesOf('currency')` is not used: it depends on the runtime's
 * ICU (browsers and Node versions disagree) and lacks fund codes Odoo ships.
 */
const ISO_4217_CURRENT = `
  AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
  BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
  EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
  KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
  MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
  RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
  TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG`;
/** Withdrawn ISO 4217 codes that shop databases still hold (Odoo ships them): refusing them would lose real orders. */
const ISO_4217_WITHDRAWN_IN_USE = 'BYR HRK LTL LVL MRO SLL STD VEF ZWL';

export const CURRENCY_CODES: ReadonlySet<string> = new Set(`${ISO_4217_CURRENT} ${ISO_4217_WITHDRAWN_IN_USE}`.trim().split(/\s+/));

export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && CURRENCY_CODES.has(value);
}
export const CURRENCY_CODE_HINT = 'must be an ISO 4217 currency code such as "USD"';

export interface ValidationOptions {
  nowSeconds: number;
  maxAgeSeconds?: number;
}

type Check = (row: TikTokEventRow, opts: ValidationOptions) => string[];

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const checkIdentity: Check = (row) => {
  const reasons: string[] = [];
  if (!TIKTOK_EVENT_NAMES.has(row.event)) reasons.push(`event "${String(row.event)}" is not a TikTok event name`);
  if (!isNonEmptyString(row.event_id)) reasons.push('event_id must be a non-empty string');
  else if (row.event_id.length > 256) reasons.push('event_id is longer than 256 characters');
  return reasons;
};

const checkTime: Check = (row, { nowSeconds, maxAgeSeconds = MAX_EVENT_AGE_SECONDS }) => {
  const t = row.event_time;
  if (!Number.isInteger(t) || t <= 0) return ['event_time must be an integer number of unix seconds'];
  if (t > 1e11) return ['event_time looks like milliseconds; use unix seconds'];
  if (t > nowSeconds + MAX_FUTURE_SKEW_SECONDS) return [`event_time is ${t - nowSeconds}s in the future`];
  if (nowSeconds - t > maxAgeSeconds) {
    return [`event is ${Math.round((nowSeconds - t) / 86400)} days old; TikTok accepts at most ${Math.round(maxAgeSeconds / 86400)}`];
  }
  return [];
};

function checkHashed(field: string, value: unknown): string[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || !values.every((v) => typeof v === 'string' && SHA256_HEX_LOWER.test(v))) {
    return [`user.${field} must be a lowercase SHA-256 hex digest (or a list of them)`];
  }
  return [];
}

const checkUser: Check = (row) => {
  const user = row.user;
  if (user === undefined) return [];
  const reasons = [
    ...checkHashed('email', user.email),
    ...checkHashed('phone', user.phone),
    ...checkHashed('external_id', user.external_id),
    ...checkHashed('first_name', user.first_name),
    ...checkHashed('last_name', user.last_name),
    ...checkHashed('zip_code', user.zip_code),
  ];
  for (const key of ['city', 'state', 'country'] as const) {
    const value = user[key];
    if (value !== undefined && (typeof value !== 'string' || normalizePlace(value) !== value)) {
      reasons.push(`user.${key} must be plain lower-case letters and digits (never hashed)`);
    }
  }
  for (const key of ['ttclid', 'ttp', 'ip', 'user_agent', 'locale'] as const) {
    if (user[key] !== undefined && typeof user[key] !== 'string') reasons.push(`user.${key} must be a string`);
  }
  return reasons;
};

const VALUE_NEEDS_CURRENCY = 'properties.value needs properties.currency';
const contentIdMissing = (i: number) => `properties.contents[${i}].content_id must be a non-empty string`;
const valueWithoutCurrency = (p: NonNullable<TikTokEventRow['properties']>) => p.value !== undefined && p.currency === undefined;

/**
 * The rules of a row no format check of an input can hold: between two fields
 * (a value needs its currency), or on what is left once empty values are dropped
 * (a content id of blanks). The relay checks its input's formats once, with its
 * contract, and only these on the row it built; `validateEventRow` holds a row
 * to these and to every format.
 */
export function completenessReasons(row: TikTokEventRow): string[] {
  const p = row.properties;
  if (p === undefined) return [];
  const reasons: string[] = [];
  if (valueWithoutCurrency(p)) reasons.push(VALUE_NEEDS_CURRENCY);
  if (Array.isArray(p.contents)) p.contents.forEach((c, i) => !isNonEmptyString(c?.content_id) && reasons.push(contentIdMissing(i)));
  return reasons;
}

const checkProperties: Check = (row) => {
  const p = row.properties;
  if (p === undefined) return [];
  const reasons: string[] = [];
  if (p.value !== undefined && !isFiniteNumber(p.value)) reasons.push('properties.value must be a number');
  if (p.value !== undefined && isFiniteNumber(p.value) && p.value < 0) reasons.push('properties.value must not be negative');
  if (p.currency !== undefined && !isCurrencyCode(p.currency)) reasons.push(`properties.currency ${CURRENCY_CODE_HINT}`);
  if (valueWithoutCurrency(p)) reasons.push(VALUE_NEEDS_CURRENCY);
  if (p.contents !== undefined) {
    if (!Array.isArray(p.contents)) return [...reasons, 'properties.contents must be a list'];
    p.contents.forEach((c, i) => {
      if (!isNonEmptyString(c?.content_id)) reasons.push(contentIdMissing(i));
      if (c?.price !== undefined && !isFiniteNumber(c.price)) reasons.push(`properties.contents[${i}].price must be a number`);
      if (c?.quantity !== undefined && !isFiniteNumber(c.quantity)) reasons.push(`properties.contents[${i}].quantity must be a number`);
    });
  }
  for (const key of ['query', 'order_id', 'description'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'string') reasons.push(`properties.${key} must be a string`);
  }
  return reasons;
};

const ROW_CHECKS: Check[] = [checkIdentity, checkTime, checkUser, checkProperties];

/** Every reason this row would be refused by TikTok, in words a merchant can act on. Empty = valid. */
export function validateEventRow(row: TikTokEventRow, opts: ValidationOptions): string[] {
  return ROW_CHECKS.flatMap((check) => check(row, opts));
}
