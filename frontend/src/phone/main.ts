/**
 * Entry point of the phone rule the page loads on demand
 * (addon static/lib/tiktok_phone.js, built by scripts/buildFrontend.ts): the
 * sidecar's rule with libphonenumber's metadata, which would not fit in the
 * page bundle's budget. The page imports it the first time a form gives it a
 * phone number to hash (frontend/src/odoo/phoneRule.ts).
 */
export { normalizePhone } from '@contract/phone';
