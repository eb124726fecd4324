/**
 * The formats TikTok accepts, as every side of a wire checks them (the browser,
 * the relay, the module's answers, the rows the sidecar sends). Plain values,
 * no imports: the page bundle may take any of them.
 */

/** How old an event may be before it is refused instead of sent (TikTok accepts about 7 days). */
export const MAX_EVENT_AGE_SECONDS = 7 * 24 * 3600;
/** Clock skew tolerated for events stamped in the future. */
export const MAX_FUTURE_SKEW_SECONDS = 5 * 60;

/** A hashed match key as every input boundary checks it (relay, RPC answers); the pixel code's format is in `constants.ts`. */
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
