/**
 * tests/vectors/contract.json, typed: the cases the module (Python), the
 * browser bundle and the sidecar are all held to. The module's tests read the
 * same file (addon/website_tiktok_events/tests/test_hashing.py).
 */
import raw from './contract.json';

export interface HashVector {
  raw: string;
  normalized: string | null;
  sha256: string | null;
}

export interface PhoneVector {
  raw: string;
  /** ISO 3166-1 alpha-2 country in which a number without its country code is read; null when unknown. */
  country: string | null;
  e164: string | null;
  sha256: string | null;
  note?: string;
}

export interface PersonNameVector {
  raw: string;
  first_name: string | null;
  first_name_sha256: string | null;
  last_name: string | null;
  last_name_sha256: string | null;
  note?: string;
}

/** What may leave the shop (sidecar/src/contract/privacy.ts; the module's redaction of free text). */
export interface ScrubVectors {
  free_text: Array<{ raw: string; scrubbed: string; note?: string }>;
  references: Array<{ raw: string; contact_data: boolean; note?: string }>;
  page_url: Array<{ raw: string; scrubbed: string | null; note?: string }>;
  ttclid: { valid: string[]; invalid: string[] };
  ttp: { valid: string[]; invalid: string[] };
}

export interface ContractVectors {
  email: HashVector[];
  phone: PhoneVector[];
  external_id: {
    scope: string;
    keyed: Array<{ secret: string; partner_id: number; external_id: string }>;
    passed_on: Array<{ raw: string; external_id: string | null }>;
  };
  already_hashed: Array<{ key: 'email' | 'phone' | 'external_id'; raw: string; sha256: string }>;
  person_name: PersonNameVector[];
  zip_code: HashVector[];
  place: Array<{ raw: string; normalized: string | null }>;
  partner_identify: {
    partner: Record<string, string | number>;
    contact: Record<string, string>;
    contact_name_address: Record<string, string>;
  };
  content_id: Array<{ product_id: number; default_code: string | false; source: 'product_id' | 'default_code'; content_id: string }>;
  pixel_id: { pattern: string; valid: string[]; invalid: string[]; typed: Array<{ raw: string; canonical: string | null }> };
  contents: {
    order_lines: Array<{ line: Record<string, unknown>; content: Record<string, unknown> }>;
    page_config: Record<string, unknown> & { purchase: { contents: Array<Record<string, unknown>> } };
  };
  report_limits: { int4_max: number; max_count: number; max_outbox_id: number; max_request_bytes: number; max_contents: number };
  scrub: ScrubVectors;
}

export const VECTORS = raw as ContractVectors;

/** `undefined` where the vectors say null: how the TypeScript functions say "dropped". */
export const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);
