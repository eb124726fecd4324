/**
 * Phone numbers in E.164, read with Google's libphonenumber metadata, so the
 * browser and the module (Python `phonenumbers`, addon tools/hashing.py) hash
 * one person to one value whatever way the number was typed: each country's
 * trunk prefix (`0`, `8`, `1`) is dropped where the plan has one and kept
 * where the number itself starts with it (Italy's `06`).
 *
 * Kept apart from ./normalize.ts because the metadata is large: the browser
 * page bundle imports normalize.ts, and loads this file's compiled copy
 * (static/lib/tiktok_phone.js) only when a form with a phone is handled.
 * No I/O and no Node or DOM APIs here.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';

/** TikTok's own template sends Chinese numbers without their country code. */
const CALLING_CODES_SENT_WITHOUT_PREFIX = new Set(['86']);

/**
 * What a phone number is written with: digits of any script, spaces, `+ ( ) - . /`,
 * and an optional extension (`ext. 12`, `x12`). The module's rule has the same
 * pattern: letters (`tel:`, "call me", vanity numbers) and other text are read
 * differently by the two libraries, so such a value is dropped on both sides.
 */
const WRITTEN_PHONE = /^[+\uFF0B]?[\p{Nd}\s().\-/]+(?:(?:ext\.?|x)\s*\p{Nd}+)?$/iu;

/** "us", " US " → "US"; undefined for what the metadata does not know as a country. */
export function phoneCountry(country: string | undefined): CountryCode | undefined {
  const code = (country ?? '').trim().toUpperCase();
  return isSupportedCountry(code) ? code : undefined;
}

/**
 * E.164 (`+`, country calling code, national number) of `raw`, or undefined
 * when it cannot be one. `defaultCountry` (ISO 3166-1 alpha-2, e.g. "IT", the
 * partner's or the page's country) reads a number written without its country
 * code; without it only international numbers (`+…`, `00…`) are read.
 * A number whose length no plan of its country allows is dropped rather than
 * hashed wrongly. Lengths, not the finer "valid number" ranges, decide: the
 * ranges change with every metadata release, and the browser and the module
 * do not ship the same release.
 */
export function normalizePhone(raw: string, defaultCountry?: string): string | undefined {
  const country = phoneCountry(defaultCountry);
  let text = raw.trim();
  if (!WRITTEN_PHONE.test(text)) return undefined;
  text = text.replace(/^\uFF0B/, '+');
  // Without a country the metadata cannot tell that "00" dials abroad: read it as
  // "+", the international prefix of most of the world (with a country, its own
  // prefix is known: 00 in Europe, 011 in North America).
  if (!country && text.startsWith('00')) text = `+${text.slice(2)}`;
  const number = parsePhoneNumberFromString(text, { defaultCountry: country, extract: false });
  if (!number?.isPossible()) return undefined;
  if (CALLING_CODES_SENT_WITHOUT_PREFIX.has(number.countryCallingCode)) return number.nationalNumber;
  return number.number;
}
