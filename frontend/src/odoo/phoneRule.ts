import type { PhoneRule, PhoneRuleLoader } from '../core/hashing';

/**
 * The URL of the module's static/lib/tiktok_phone.js with its content hash
 * (`?v=`), so a new build is never read from an old cache: written in by
 * scripts/buildFrontend.ts, which builds that file first.
 */
declare const TIKTOK_PHONE_RULE_URL: string;

let loading: Promise<PhoneRule> | undefined;

/**
 * The phone rule, imported the first time a phone number is hashed on this
 * page (a native `import()`: the bundler leaves the URL alone and Odoo serves
 * the file as it is). A failed load is tried again by the next form.
 */
export const loadPhoneRule: PhoneRuleLoader = () => {
  loading ??= (import(TIKTOK_PHONE_RULE_URL) as Promise<{ normalizePhone: PhoneRule }>).then((module) => module.normalizePhone);
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
};
