import type { RelayConsent } from '@contract/relay';
import { readCookie, type CookieJar } from './cookies';

/** What the relay payload says about consent (docs/CONTRACTS.md §4). */
export type { RelayConsent };
/** Inside the browser a visitor may also not have chosen yet. */
export type ConsentState = RelayConsent | 'pending';

/** Odoo's cookie bar stores `{"required": true, "optional": bool, "ts": …}` here. */
export const ODOO_CONSENT_COOKIE = 'website_cookies_bar';

export function consentState(jar: CookieJar, consentRequired: boolean | undefined): ConsentState {
  if (!consentRequired) return 'not_required';
  const raw = readCookie(jar, ODOO_CONSENT_COOKIE);
  if (!raw) return 'pending';
  try {
    const choice = JSON.parse(raw) as { optional?: unknown };
    return choice.optional === true ? 'granted' : 'denied';
  } catch {
    return 'pending';
  }
}

/** Whether events may be relayed and attribution cookies written now. */
export function consentAllows(state: ConsentState): state is 'granted' | 'not_required' {
  return state === 'granted' || state === 'not_required';
}
