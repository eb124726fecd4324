/**
 * The facts of the contract that are needed at run time outside a schema: the
 * browser bundle imports these (and only types from the schema modules), so
 * this file must never import zod.
 */

/** At most this many events in one relay request (a page flushing its queue). */
export const RELAY_MAX_EVENTS_PER_REQUEST = 20;

/**
 * A TikTok pixel code: 16 to 32 upper-case ASCII letters and digits. TikTok's
 * codes are 20 characters today (`C4A1B2C3D4E5F6G7H8I9`); the range leaves
 * room for a format change either way, and the alphabet alone keeps a code
 * from breaking out of the JavaScript string or HTML it is rendered into.
 * Upper case only: where a person types a code (the Odoo settings,
 * `TIKTOK_PIXEL_ID`) it is trimmed and upper-cased first (`normalizePixelId`);
 * everywhere else it travels in that form already. The module checks the same
 * rule; tests/vectors/contract.json holds both sides to it.
 */
export const PIXEL_ID = /^[A-Z0-9]{16,32}$/;
/** What `PIXEL_ID` asks for, in words for an error message ("must be …", "expected …"). */
export const PIXEL_ID_FORMAT = 'a TikTok pixel code (16 to 32 upper-case letters and digits)';

/** The pixel code a person typed, in its canonical form (validate it afterwards). */
export function normalizePixelId(typed: string): string {
  return typed.trim().toUpperCase();
}

/**
 * How much of a known person a website shares with TikTok (`match_keys` of the
 * settings, docs/CONTRACTS.md §3): the contact keys (e-mail, phone, external
 * id), or also the name and address keys below. The module declares the same
 * two values (tools/settings_table.py).
 */
export const MATCH_LEVELS = ['contact', 'contact_name_address'] as const;
export type MatchLevel = (typeof MATCH_LEVELS)[number];

/**
 * What a website does with a visitor's Global Privacy Control signal
 * (`Sec-GPC: 1`, `navigator.globalPrivacyControl`): nothing, TikTok's
 * limited data use on what it receives, or what a refusal of optional cookies
 * does (nothing reaches TikTok). The module's default is limited data use
 * (docs/CONTRACTS.md §5): the laws that make GPC binding (California,
 * Colorado…) read it as an opt-out of sharing, which is what TikTok's limited
 * data use is for, and the shop still counts its conversions.
 */
export const GPC_POLICIES = ['ignore', 'limited_data_use', 'refuse'] as const;
export type GpcPolicy = (typeof GPC_POLICIES)[number];
export const DEFAULT_GPC_POLICY: GpcPolicy = 'limited_data_use';
/** The keys only `contact_name_address` shares: the first three hashed, the others plain. */
export const NAME_ADDRESS_HASHED_KEYS = ['first_name', 'last_name', 'zip_code'] as const;
export const NAME_ADDRESS_PLAIN_KEYS = ['city', 'state', 'country'] as const;
// Spelled out (the compiler checks it is the two lists above): a spread would
// keep the unused list in the browser bundle, which imports this file.
export const NAME_ADDRESS_KEYS = ['first_name', 'last_name', 'zip_code', 'city', 'state', 'country'] as const satisfies readonly [
  ...typeof NAME_ADDRESS_HASHED_KEYS,
  ...typeof NAME_ADDRESS_PLAIN_KEYS,
];

/** A locale as TikTok takes it (`en-US`, `fr_BE`): the relay refuses any other, the scrub drops it from the module's answers. */
export const LOCALE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;

/** The top-level `partner_name` of every Events API request: the platform the events come from. */
export const PARTNER_NAME = 'Odoo';
