/**
 * Entry point of the back-office bundle (addon static/src/js/tiktok_dashboard.js,
 * web.assets_backend): the TikTok control room's client actions.
 */
import { registry } from '@web/core/registry';
import { TikTokDashboard } from './dashboard';
import { SidecarKeyDialog } from './sidecarKeyDialog';
import { TestEventDialog } from './testEventDialog';

const actions = registry.category('actions');
actions.add('website_tiktok_events.dashboard', TikTokDashboard);
actions.add('website_tiktok_events.test_event', TestEventDialog);
actions.add('website_tiktok_events.sidecar_key', SidecarKeyDialog);
