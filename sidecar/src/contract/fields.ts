import { z } from 'zod';
import { CURRENCY_CODE_HINT, isCurrencyCode, SHA256_HEX_LOWER } from './formats';
import { PIXEL_ID, PIXEL_ID_FORMAT } from './constants';
import { normalizePlace } from './normalize';

/** The values several parts of the contract carry, each declared once. */

export const PixelIdSchema = z.string().regex(PIXEL_ID, `must be ${PIXEL_ID_FORMAT}`);

export const CurrencySchema = z.string().refine(isCurrencyCode, CURRENCY_CODE_HINT);

/** An event id as the relay accepts it: the browser's own, or the PageView id of the page config. */
export const EventIdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of letters, digits, . _ : -');

/** A match key hashed where it was known (browser or module): the sidecar never sees a plain one. */
export const Sha256HexSchema = z.string().regex(SHA256_HEX_LOWER, 'must be a lowercase SHA-256 hex digest (match keys are hashed before they leave the page or the module)');

/** A city, state or country as it is sent to TikTok: plain, already normalized (`normalizePlace`). */
export const PlaceSchema = z
  .string()
  .max(128)
  .refine((v) => normalizePlace(v) === v, 'must be lower-case letters and digits only (city, state and country are normalized, never hashed)');

/**
 * Text in an answer of the module: Odoo writes `false` for an empty field.
 * Trimmed; empty, `false` and `null` read as absent.
 */
export const OdooTextSchema = z
  .union([z.string(), z.literal(false), z.null()])
  .transform((v) => (typeof v === 'string' && v.trim() ? v.trim() : undefined));

/** An identifier in an answer of the module: read as it is (the module sends it in canonical form); empty, `false` and `null` read as absent. */
export const OdooIdentifierSchema = z
  .union([z.string(), z.literal(false), z.null()])
  .transform((v) => (typeof v === 'string' && v !== '' ? v : undefined));
