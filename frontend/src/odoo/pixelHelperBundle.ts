/**
 * The debug panel (./pixelHelper.ts) is no part of the page bundle: it is
 * shown only on websites in TikTok debug mode, so it lives in an asset bundle
 * of its own that Odoo's `LazyComponent` loads when the panel is mounted. Its
 * entry (frontend/src/debug/main.ts) registers the component under this name.
 */
export const PIXEL_HELPER_BUNDLE = 'website_tiktok_events.pixel_helper';
export const PIXEL_HELPER_COMPONENT = 'website_tiktok_events.PixelHelper';
