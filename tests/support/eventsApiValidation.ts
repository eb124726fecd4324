/**
 * Request validation of the fake TikTok Events API v1.3 (`POST /open_api/v1.3/event/track/`).
 *
 * Written from the contract in the project's TikTok spec, deliberately without
 * importing the sidecar's validator: a fake that shared it would agree with every
 * bug in it (only TikTok's list of event names is shared, as data). Each rule
 * answers with the path of the offending field, the way TikTok names the row
 * that sinks a whole batch.
 */
import { TIKTOK_EVENT_NAMES } from '../../sidecar/src/contract/eventNames';
import { CRM_LEAD_STAGES } from '../../sidecar/src/contract/eventSource';

/**
 * The event names TikTok's endpoint accepts are a fact of TikTok's API, not a rule of
 * the sidecar's validator: the fake reads the one list the product declares.
 */
export const KNOWN_EVENT_NAMES: ReadonlySet<string> = TIKTOK_EVENT_NAMES;

/** TikTok's lead stages, the event names of the `crm` source (data, like the event names). */
export const KNOWN_LEAD_STAGES: ReadonlySet<string> = CRM_LEAD_STAGES;

/** The sources the endpoint takes, and what each asks of a row beyond the common rules. */
export const EVENT_SOURCES = ['web', 'crm', 'offline'] as const;
export type EventSourceName = (typeof EVENT_SOURCES)[number];
/** Offline events may be up to 28 days old, whatever the endpoint's age limit for the web. */
export const OFFLINE_MAX_EVENT_AGE_DAYS = 28;
const IDENTIFYING_KEYS = ['email', 'phone', 'external_id'];

export const MAX_BATCH_ROWS = 1000;
/** Clock skew tolerated for event_time in the future. */
export const MAX_FUTURE_SKEW_SECONDS = 5 * 60;
export const DEFAULT_MAX_EVENT_AGE_DAYS = 7;

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** City, state and country, as TikTok takes them: plain, lower-cased letters and digits (of any script), nothing else. */
const NORMALIZED_PLACE = /^[\p{Ll}\p{Lm}\p{Lo}\p{N}]+$/u;
const CURRENCY_CODE = /^[A-Z]{3}$/;
/** Unix seconds stay below this until the year 2286; a larger value is almost surely milliseconds. */
const LARGEST_PLAUSIBLE_UNIX_SECONDS = 9_999_999_999;

export interface ValidationContext {
  /** Unix seconds used as "now" for the event age and future checks. */
  nowSeconds: number;
  maxEventAgeDays: number;
  /** Extra per-row rule supplied by a test: a message rejects the whole batch, naming that row. */
  rejectEvent?: (row: any) => string | undefined;
}

export type ValidationResult = { ok: true } | { ok: false; message: string };

type Json = unknown;
type Obj = Record<string, Json>;

function isObject(v: Json): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonEmptyString(v: Json): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

function isFiniteNumber(v: Json): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Hashed identifiers: one SHA-256 hex string, or a non-empty array of them. */
function checkHashedIdentifier(value: Json, path: string): string | undefined {
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) return `${path} must not be an empty array`;
  for (let i = 0; i < values.length; i++) {
    const item = values[i];
    const itemPath = Array.isArray(value) ? `${path}[${i}]` : path;
    if (typeof item !== 'string') return `${itemPath} must be a string, got ${describe(item)}`;
    if (!SHA256_HEX.test(item)) return `${itemPath} must be a lowercase SHA-256 hex digest`;
  }
  return undefined;
}

function checkOptionalString(obj: Obj, key: string, path: string): string | undefined {
  if (!(key in obj)) return undefined;
  const v = obj[key];
  if (typeof v !== 'string') return `${path}.${key} must be a string, got ${describe(v)}`;
  return undefined;
}

function checkUser(user: Json, path: string): string | undefined {
  if (!isObject(user)) return `${path} must be an object, got ${describe(user)}`;
  for (const key of ['email', 'phone', 'external_id', 'first_name', 'last_name', 'zip_code']) {
    if (key in user) {
      const problem = checkHashedIdentifier(user[key], `${path}.${key}`);
      if (problem) return problem;
    }
  }
  for (const key of ['city', 'state', 'country']) {
    if (!(key in user)) continue;
    const value = user[key];
    if (typeof value !== 'string') return `${path}.${key} must be a string, got ${describe(value)}`;
    if (SHA256_HEX.test(value)) return `${path}.${key} must be plain text, not hashed`;
    if (!NORMALIZED_PLACE.test(value)) return `${path}.${key} must be lower-case letters and digits only`;
  }
  for (const key of ['ttclid', 'ttp', 'ip', 'user_agent', 'locale']) {
    const problem = checkOptionalString(user, key, path);
    if (problem) return problem;
  }
  return undefined;
}

function checkContent(content: Json, path: string): string | undefined {
  if (!isObject(content)) return `${path} must be an object, got ${describe(content)}`;
  if (!('content_id' in content)) return `${path}.content_id is required`;
  if (!isNonEmptyString(content.content_id)) {
    return `${path}.content_id must be a non-empty string, got ${describe(content.content_id)}`;
  }
  for (const key of ['price', 'quantity']) {
    if (key in content && !isFiniteNumber(content[key])) {
      return `${path}.${key} must be a number, got ${describe(content[key])}`;
    }
  }
  for (const key of ['content_type', 'content_name', 'content_category', 'brand']) {
    const problem = checkOptionalString(content, key, path);
    if (problem) return problem;
  }
  return undefined;
}

function checkProperties(props: Json, path: string): string | undefined {
  if (!isObject(props)) return `${path} must be an object, got ${describe(props)}`;
  if ('value' in props && !isFiniteNumber(props.value)) {
    return `${path}.value must be a number, got ${describe(props.value)}`;
  }
  if ('currency' in props) {
    if (typeof props.currency !== 'string' || !CURRENCY_CODE.test(props.currency)) {
      return `${path}.currency must be an ISO 4217 code of three upper-case letters`;
    }
  }
  if ('contents' in props) {
    if (!Array.isArray(props.contents)) return `${path}.contents must be an array, got ${describe(props.contents)}`;
    for (let i = 0; i < props.contents.length; i++) {
      const problem = checkContent(props.contents[i], `${path}.contents[${i}]`);
      if (problem) return problem;
    }
  }
  for (const key of ['content_type', 'query', 'order_id', 'description', 'shop_id']) {
    const problem = checkOptionalString(props, key, path);
    if (problem) return problem;
  }
  return undefined;
}

function checkPage(page: Json, path: string): string | undefined {
  if (!isObject(page)) return `${path} must be an object, got ${describe(page)}`;
  for (const key of ['url', 'referrer']) {
    const problem = checkOptionalString(page, key, path);
    if (problem) return problem;
  }
  return undefined;
}

function checkEventTime(value: Json, path: string, ctx: ValidationContext): string | undefined {
  if (value === undefined) return `${path} is required`;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return `${path} must be an integer unix timestamp in seconds, got ${describe(value)}`;
  }
  if (value > LARGEST_PLAUSIBLE_UNIX_SECONDS) return `${path} must be in seconds, not milliseconds`;
  if (value > ctx.nowSeconds + MAX_FUTURE_SKEW_SECONDS) return `${path} is in the future`;
  if (value < ctx.nowSeconds - ctx.maxEventAgeDays * 86_400) {
    return `${path} is older than ${ctx.maxEventAgeDays} days`;
  }
  return undefined;
}

function checkLead(lead: Json, path: string): string | undefined {
  if (!isObject(lead)) return `${path} must be an object, got ${describe(lead)}`;
  for (const key of ['lead_id', 'lead_event_source']) {
    if (!isNonEmptyString(lead[key])) return `${path}.${key} must be a non-empty string, got ${describe(lead[key])}`;
  }
  const unknown = Object.keys(lead).find((k) => k !== 'lead_id' && k !== 'lead_event_source');
  return unknown ? `${path}.${unknown} is not a field of lead` : undefined;
}

function hasIdentifyingKey(row: Obj): boolean {
  return isObject(row.user) && IDENTIFYING_KEYS.some((k) => k in (row.user as Obj));
}

/** What the `crm` and `offline` sources ask of a row beyond the common rules; web rows carry no lead. */
function checkSourceRules(row: Obj, path: string, source: EventSourceName): string | undefined {
  if ('lead' in row) {
    if (source !== 'crm') return `${path}.lead is only accepted with event_source "crm"`;
    const problem = checkLead(row.lead, `${path}.lead`);
    if (problem) return problem;
  }
  if (source === 'crm' && !hasIdentifyingKey(row) && !('lead' in row)) {
    return `${path} must identify the lead: user.email, user.phone, user.external_id or lead.lead_id`;
  }
  if (source === 'offline') {
    if (!hasIdentifyingKey(row)) return `${path}.user must carry at least one of email, phone, external_id`;
    const props = row.properties;
    if (!isObject(props) || !isNonEmptyString(props.shop_id)) return `${path}.properties.shop_id must be a non-empty string`;
  }
  return undefined;
}

/** The first problem of one `data[]` row, or undefined when TikTok would accept it. */
export function checkRow(row: Json, path: string, ctx: ValidationContext, source: EventSourceName = 'web'): string | undefined {
  if (!isObject(row)) return `${path} must be an object, got ${describe(row)}`;
  if (!('event' in row)) return `${path}.event is required`;
  const known = source === 'crm' ? KNOWN_LEAD_STAGES : KNOWN_EVENT_NAMES;
  if (typeof row.event !== 'string' || !known.has(row.event)) {
    return `${path}.event "${String(row.event)}" is not a supported event${source === 'crm' ? ' of a CRM Event Set (lead stages)' : ''}`;
  }
  const ageCtx = source === 'offline' ? { ...ctx, maxEventAgeDays: OFFLINE_MAX_EVENT_AGE_DAYS } : ctx;
  const timeProblem = checkEventTime(row.event_time, `${path}.event_time`, ageCtx);
  if (timeProblem) return timeProblem;
  if (!('event_id' in row)) return `${path}.event_id is required`;
  if (!isNonEmptyString(row.event_id)) return `${path}.event_id must be a non-empty string`;
  if ('user' in row) {
    const problem = checkUser(row.user, `${path}.user`);
    if (problem) return problem;
  }
  if ('properties' in row) {
    const problem = checkProperties(row.properties, `${path}.properties`);
    if (problem) return problem;
  }
  if ('page' in row) {
    const problem = checkPage(row.page, `${path}.page`);
    if (problem) return problem;
  }
  if ('limited_data_use' in row && typeof row.limited_data_use !== 'boolean') {
    return `${path}.limited_data_use must be a boolean`;
  }
  const sourceProblem = checkSourceRules(row, path, source);
  if (sourceProblem) return sourceProblem;
  const rejection = ctx.rejectEvent?.(row);
  if (rejection) return `${path}: ${rejection}`;
  return undefined;
}

/** Validates a parsed request body as the `event/track` endpoint would. */
export function validateTrackBody(body: Json, ctx: ValidationContext): ValidationResult {
  const problem = firstBodyProblem(body, ctx);
  return problem ? { ok: false, message: `Invalid parameter: ${problem}` } : { ok: true };
}

/** A row the endpoint refuses, by its position in `data`. */
export interface RowRefusal {
  index: number;
  message: string;
}

/**
 * Validates the envelope as `validateTrackBody` does, then every row on its own:
 * the refused rows, for an endpoint that answers per event (20001).
 */
export function validateTrackRows(body: Json, ctx: ValidationContext): { ok: false; message: string } | { ok: true; refused: RowRefusal[] } {
  const problem = envelopeProblem(body);
  if (problem) return { ok: false, message: `Invalid parameter: ${problem}` };
  const refused: RowRefusal[] = [];
  (body as { data: Json[] }).data.forEach((row, index) => {
    const rowProblem = checkRow(row, `data[${index}]`, ctx, (body as { event_source: EventSourceName }).event_source);
    if (rowProblem) refused.push({ index, message: `Invalid parameter: ${rowProblem}` });
  });
  return { ok: true, refused };
}

/** Everything but the rows: the object, the source, the test code, the size of `data`. */
function envelopeProblem(body: Json): string | undefined {
  if (!isObject(body)) return `request body must be a JSON object, got ${describe(body)}`;
  if (!(EVENT_SOURCES as readonly Json[]).includes(body.event_source)) return `event_source must be one of ${EVENT_SOURCES.map((e) => `"${e}"`).join(', ')}`;
  if (!isNonEmptyString(body.event_source_id)) return 'event_source_id must be a non-empty string';
  if ('test_event_code' in body && !isNonEmptyString(body.test_event_code)) {
    return 'test_event_code must be a non-empty string';
  }
  if ('partner_name' in body && !isNonEmptyString(body.partner_name)) return 'partner_name must be a non-empty string';
  if (!Array.isArray(body.data)) return `data must be an array, got ${describe(body.data)}`;
  if (body.data.length === 0) return 'data must contain at least 1 event';
  if (body.data.length > MAX_BATCH_ROWS) return `data must contain at most ${MAX_BATCH_ROWS} events`;
  return undefined;
}

function firstBodyProblem(body: Json, ctx: ValidationContext): string | undefined {
  const problem = envelopeProblem(body);
  if (problem) return problem;
  const { data, event_source: source } = body as { data: Json[]; event_source: EventSourceName };
  for (let i = 0; i < data.length; i++) {
    const rowProblem = checkRow(data[i], `data[${i}]`, ctx, source);
    if (rowProblem) return rowProblem;
  }
  return undefined;
}
