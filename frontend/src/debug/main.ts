/**
 * Entry point of the debug panel's asset bundle (static/src/debug, the
 * `website_tiktok_events.pixel_helper` bundle of the manifest): Odoo's
 * `LazyComponent` loads it and mounts the panel found here.
 */
import { registry } from '@web/core/registry';
import { PixelHelper } from '../odoo/pixelHelper';
import { PIXEL_HELPER_COMPONENT } from '../odoo/pixelHelperBundle';

registry.category('lazy_components').add(PIXEL_HELPER_COMPONENT, PixelHelper);
