/** @jest-environment jsdom */
/**
 * The control room's words come from the sidecar's reports (TikTok's messages,
 * lane sentences) and from Odoo's warnings: the dashboard shows them as text.
 * A lane message with markup in it, as a forged report or a hostile answer
 * could carry, must reach the page as characters, never as elements.
 */
import { mount } from '@odoo/owl';
import { TEMPLATES, dashboardData } from '../frontend/src/backend/__tests__/fixtures';

const HOSTILE = '<img src=x onerror="window.__pwned = 1">';
const call = jest.fn();

jest.mock('@web/core/l10n/translation', () => ({ _t: (text: string) => text }), { virtual: true });
jest.mock('@web/core/utils/hooks', () => ({ useService: (name: string) => (name === 'orm' ? { call } : { doAction: jest.fn() }) }), { virtual: true });
jest.mock(
  '@web/search/layout',
  () => {
    const { Component, xml } = require('@odoo/owl');
    class Layout extends Component {
      static template = xml`<div class="o_layout"><t t-slot="default"/></div>`;
      static props = ['*'];
    }
    return { Layout };
  },
  { virtual: true },
);
jest.mock('@web/core/l10n/dates', () => ({ deserializeDateTime: (utc: string) => ({ toRelative: () => utc }), formatDateTime: () => '' }), { virtual: true });
jest.mock('@web/core/registry', () => ({ registry: { category: () => ({ add: () => undefined }) } }), { virtual: true });

import { TikTokDashboard } from '../frontend/src/backend/dashboard';

it('shows a lane sentence and a test answer with markup in them as text', async () => {
  const data = dashboardData();
  data.lanes[0].sentence = `TikTok refused the access token (code 40105: ${HOSTILE}).`;
  call.mockResolvedValue(data);
  const el = document.createElement('div');
  document.body.appendChild(el);
  await mount(TikTokDashboard, el, { props: {}, templates: TEMPLATES, test: true });
  const lane = el.querySelector('.o_tiktok_lane[data-reason="token_refused"]')!;
  expect(lane.textContent).toContain(HOSTILE);
  expect(el.querySelector('img')).toBeNull();
  expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
});
