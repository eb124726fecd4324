/**
 * Advanced matching keys, normalized then SHA-256 hashed in the browser so no
 * plain e-mail or phone ever leaves the page. The rules match the module's
 * Python hashing and the sidecar, so the same person hashes the same way on
 * both sides of a deduplicated pair.
 */
const SHA256_HEX = /^[0-9a-f]{64}$/i;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** Trim + lowercase; an input without "@" is not an e-mail and is dropped. */
export function normalizeEmail(raw: string | null | undefined): string {
  const email = (raw ?? '').trim().toLowerCase();
  return email.includes('@') ? email : '';
}

/**
 * E.164: "+" then country code and subscriber digits, without spaces, dashes,
 * parentheses or the national trunk "0". TikTok's own template sends Chinese
 * (+86) numbers without the country code. Without a country code in the number
 * and no `defaultCallingCode`, a number starting with the trunk 0 cannot be made
 * E.164 and is dropped rather than hashed wrongly.
 */
export function normalizePhone(raw: string | null | undefined, defaultCallingCode?: string): string {
  let text = (raw ?? '').trim();
  if (!text) return '';
  // "+32 (0)470 …" writes the trunk 0 in parentheses after the country code.
  text = text.replace(/\(0\)/g, '');
  let international = text.startsWith('+');
  let digits = text.replace(/\D/g, '');
  if (!international && digits.startsWith('00')) {
    international = true;
    digits = digits.slice(2);
  }
  if (!international) {
    const code = (defaultCallingCode ?? '').replace(/\D/g, '');
    if (code) {
      digits = code + digits.replace(/^0+/, '');
    } else if (digits.startsWith('0')) {
      return '';
    }
  }
  if (digits.length < 8 || digits.length > 15) return '';
  if (digits.startsWith('86')) return digits.slice(2);
  return '+' + digits;
}

export async function sha256Hex(text: string, subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle): Promise<string | undefined> {
  // crypto.subtle exists only in secure contexts: on a plain-http shop we send
  // no matching key at all rather than a plain one.
  if (!subtle) return undefined;
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function hashNormalized(raw: string | null | undefined, normalize: (v: string) => string): Promise<string | undefined> {
  const trimmed = (raw ?? '').trim();
  if (!trimmed) return undefined;
  if (isSha256Hex(trimmed)) return trimmed.toLowerCase();
  const normalized = normalize(trimmed);
  return normalized ? sha256Hex(normalized) : undefined;
}

export function hashEmail(raw: string | null | undefined): Promise<string | undefined> {
  return hashNormalized(raw, normalizeEmail);
}

export function hashPhone(raw: string | null | undefined, defaultCallingCode?: string): Promise<string | undefined> {
  return hashNormalized(raw, (v) => normalizePhone(v, defaultCallingCode));
}

/** The `ttq.identify` / relay `user` keys built from a form's contact fields. */
export interface MatchKeys {
  email?: string;
  phone?: string;
}

export async function hashContact(email?: string | null, phone?: string | null): Promise<MatchKeys> {
  const [hashedEmail, hashedPhone] = await Promise.all([hashEmail(email), hashPhone(phone)]);
  const keys: MatchKeys = {};
  if (hashedEmail) keys.email = hashedEmail;
  if (hashedPhone) keys.phone = hashedPhone;
  return keys;
}
