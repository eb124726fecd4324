import { eventNamesOf, type EventSourceName } from '../contract/eventSource';
import { normalizePlace } from '../contract/normalize';
import type { TikTokEventRow } from './types';
import { CURRENCY_CODE_HINT, isCurrencyCode, MAX_EVENT_AGE_SECONDS, MAX_FUTURE_SKEW_SECONDS, SHA256_HEX_LOWER } from '../contract/formats';

export interface ValidationOptions {
  /** Without it only the time's format is checked: how old or new an event may be is then judged elsewhere. */
  nowSeconds?: number;
  maxAgeSeconds?: number;
  /** The source the row is sent to, which names its events (web by default). */
  eventSource?: EventSourceName;
}

type Check = (row: TikTokEventRow, opts: ValidationOptions) => string[];

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const checkIdentity: Check = (row, { eventSource = 'web' }) => {
  const reasons: string[] = [];
  if (!eventNamesOf(eventSource).has(row.event)) {
    reasons.push(`event "${String(row.event)}" is not ${eventSource === 'web' ? 'a TikTok event name' : `an event of the ${eventSource} source`}`);
  }
  if (!isNonEmptyString(row.event_id)) reasons.push('event_id must be a non-empty string');
  else if (row.event_id.length > 256) reasons.push('event_id is longer than 256 characters');
  return reasons;
};

const checkTime: Check = (row, { nowSeconds, maxAgeSeconds = MAX_EVENT_AGE_SECONDS }) => {
  const t = row.event_time;
  if (!Number.isInteger(t) || t <= 0) return ['event_time must be an integer number of unix seconds'];
  if (t > 1e11) return ['event_time looks like milliseconds; use unix seconds'];
  if (nowSeconds === undefined) return [];
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
export function validateEventRow(row: TikTokEventRow, opts: ValidationOptions = {}): string[] {
  return ROW_CHECKS.flatMap((check) => check(row, opts));
}
