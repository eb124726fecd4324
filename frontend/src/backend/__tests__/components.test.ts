/** @jest-environment jsdom */
import { mount } from '@odoo/owl';
import { TEMPLATES, dashboardData } from './fixtures';
import type { TestEventStatus } from '../types';

const services: Record<string, unknown> = {};

// Odoo's _t: positional %s, or %(name)s from one object.
function translate(text: string, ...values: unknown[]): string {
  if (values.length === 1 && typeof values[0] === 'object' && values[0] !== null) {
    const named = values[0] as Record<string, unknown>;
    return text.replace(/%\((\w+)\)s/g, (_all, key: string) => {
      const value = named[key];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
    });
  }
  return values.reduce<string>((s, v) => s.replace('%s', String(v)), text);
}
jest.mock('@web/core/l10n/translation', () => ({ _t: translate }), { virtual: true });
jest.mock('@web/core/utils/hooks', () => ({ useService: (name: string) => services[name] }), { virtual: true });
jest.mock(
  '@web/search/layout',
  () => {
     
    const { Component, xml } = require('@odoo/owl');
    class Layout extends Component {
      static template = xml`<div class="o_layout"><t t-slot="control-panel-navigation-additional"/><t t-slot="default"/></div>`;
      static props = ['*'];
    }
    return { Layout };
  },
  { virtual: true },
);
// Odoo's datetime functions, as the fields use them: here, visibly the module's UTC text in and out.
jest.mock(
  '@web/core/l10n/dates',
  () => ({
    deserializeDateTime: (utc: string) => ({ utc, toRelative: () => `relative to ${utc}` }),
    formatDateTime: (moment: { utc: string }) => `formatted ${moment.utc}`,
  }),
  { virtual: true },
);
const registered: Record<string, unknown> = {};
jest.mock('@web/core/registry', () => ({ registry: { category: () => ({ add: (key: string, value: unknown) => (registered[key] = value) }) } }), { virtual: true });

import { TikTokDashboard } from '../dashboard';
import { TEST_EVENT_POLL, TestEventDialog } from '../testEventDialog';
import { SidecarKeyDialog } from '../sidecarKeyDialog';

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
/** Waits for what the component renders, not for a fixed time: a busy machine renders late. */
async function until(rendered: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !rendered() && Date.now() < deadline; ) await tick();
}

function target(): HTMLElement {
  const el = document.createElement('div');
  document.body.appendChild(el);
  return el;
}

describe('TikTok dashboard', () => {
  it('shows the sidecar, the lanes in words, the events, the purchases and the chart from one call', async () => {
    const call = jest.fn(() => Promise.resolve(dashboardData()));
    const doAction = jest.fn();
    Object.assign(services, { orm: { call }, action: { doAction } });
    const el = target();
    await mount(TikTokDashboard, el, { props: {}, templates: TEMPLATES, test: true });

    expect(call).toHaveBeenCalledWith('tiktok.sidecar.report', 'tiktok_dashboard_data', [], { days: 7, website_id: false });
    expect(el.querySelector('.o_tiktok_sidecar .card-header')!.textContent).toContain('Connected');
    expect(el.querySelector('.o_tiktok_replicas tr[data-status="connected"]')!.textContent).toContain('shop-sidecar-1');
    expect(el.querySelector('.o_tiktok_lane[data-reason="token_refused"]')!.textContent).toContain('since 03:12 (code 40105');
    // Only the events with counts; PageView had none.
    expect([...el.querySelectorAll('.o_tiktok_events tbody tr')].map((tr) => tr.getAttribute('data-event'))).toEqual(['AddToCart']);
    const addToCart = [...el.querySelectorAll('.o_tiktok_events tr[data-event="AddToCart"] td')].map((td) => td.textContent);
    expect(addToCart).toEqual(['AddToCart', '3', '2', '1', '0', '10', '9', '1', '1']);
    expect(el.querySelector('.o_tiktok_purchases tr[data-key="skipped:no_consent"]')!.textContent).toContain('25 %');
    expect(el.querySelector('.o_tiktok_purchases')!.textContent).toContain('"paired" ones were');
    expect(el.querySelector('.o_tiktok_match_keys tr[data-key="email"]')!.textContent).toContain('33 %');
    // what the server saved: the blocked pixel's events first, our estimate said to be ours
    expect(el.querySelector('.o_tiktok_saved_headline')!.textContent).toMatch(/^\s*3\s+events reached TikTok from the server only because/);
    const saved = [...el.querySelectorAll('.o_tiktok_server_saved tr[data-event="AddToCart"] td')].map((td) => td.textContent);
    expect(saved).toEqual(['AddToCart', '3', '2', '6', '1', '4.2']);
    expect(el.querySelector('.o_tiktok_server_saved')!.textContent).toContain("our estimate from the match keys each event carried, not TikTok's score");
    const bars = [...el.querySelectorAll<HTMLElement>('.o_tiktok_bar > div')].map((bar) => bar.style.height);
    expect(bars).toEqual(['0%', '100%']);
    // The chart has an axis, each day under its bar and each number over it.
    expect([...el.querySelectorAll('.o_tiktok_axis span')].map((tick) => tick.textContent)).toEqual(['9', '0']);
    expect([...el.querySelectorAll('.o_tiktok_day')].map((day) => day.textContent)).toEqual(['Jan 6', 'Jan 7']);
    expect([...el.querySelectorAll('.o_tiktok_bar_value')].map((value) => value.textContent)).toEqual(['9']);
    // Times go through Odoo's datetime formatting, as the settings page's fields do.
    expect(el.querySelector('.o_tiktok_last_seen')!.textContent).toBe('formatted 2025-01-07 10:00:00');
    expect(el.querySelector('.o_tiktok_latency')!.textContent).toContain('2100 ms');
    expect(el.querySelector('.o_tiktok_latency small')!.textContent).toBe('relative to 2025-01-07 09:58:00');
    // The rule in the seconds the module applies.
    expect(el.querySelector('.o_tiktok_thresholds')!.textContent).toBe('A replica reports every 5 seconds: it reads lagging after 15 seconds without a report, and down after 20 seconds.');

    (el.querySelector('.o_tiktok_dead_letters button') as HTMLButtonElement).click();
    expect(doAction).toHaveBeenCalledWith('website_tiktok_events.action_tiktok_dead_letter');
  });

  it('shows no latency before a delivery, the bridges to install and the other sources\' events', async () => {
    const data = dashboardData({
      bridges: [{ module: 'website_tiktok_events_crm', sentence: 'CRM is installed without its TikTok bridge.' }],
      sources: [{ source: 'crm', label: 'CRM', events: 3, rows: [{ key: 'skipped:no_consent', label: 'Not sent: no consent', count: 1, percent: 33 }] }],
    });
    data.sidecar.replicas[0] = { ...data.sidecar.replicas[0], latency_ms: null, latency_measured_at: null };
    Object.assign(services, { orm: { call: jest.fn(() => Promise.resolve(data)) }, action: { doAction: jest.fn() } });
    const el = target();
    await mount(TikTokDashboard, el, { props: {}, templates: TEMPLATES, test: true });
    expect(el.querySelector('.o_tiktok_latency')!.textContent.trim()).toBe('–');
    expect(el.querySelector('.o_tiktok_bridge[data-module="website_tiktok_events_crm"]')!.textContent).toBe('CRM is installed without its TikTok bridge.');
    const crm = el.querySelector('.o_tiktok_source[data-source="crm"]')!;
    expect(crm.querySelector('.card-header')!.textContent).toBe('CRM events: 3 over the last 7 days');
    expect(crm.querySelector('tr[data-key="skipped:no_consent"]')!.textContent).toContain('33 %');
  });

  it('asks again for the chosen period and website', async () => {
    const call = jest.fn(() => Promise.resolve(dashboardData()));
    Object.assign(services, { orm: { call }, action: { doAction: jest.fn() } });
    const el = target();
    await mount(TikTokDashboard, el, { props: {}, templates: TEMPLATES, test: true });
    (el.querySelector('.o_tiktok_periods button[data-days="30"]') as HTMLButtonElement).click();
    await until(() => call.mock.calls.length >= 2);
    expect(call).toHaveBeenLastCalledWith('tiktok.sidecar.report', 'tiktok_dashboard_data', [], { days: 30, website_id: false });
    const select = el.querySelector('select.o_tiktok_website') as HTMLSelectElement;
    select.value = '2';
    select.dispatchEvent(new Event('change'));
    await until(() => call.mock.calls.length >= 3);
    expect(call).toHaveBeenLastCalledWith('tiktok.sidecar.report', 'tiktok_dashboard_data', [], { days: 30, website_id: 2 });
  });

  it('says a sidecar that never reported, and shows a refused call as an error', async () => {
    const call = jest.fn(() => Promise.resolve(dashboardData({ sidecar: { status: 'never', replicas: [] }, lanes: [] })));
    Object.assign(services, { orm: { call }, action: { doAction: jest.fn() } });
    const el = target();
    await mount(TikTokDashboard, el, { props: {}, templates: TEMPLATES, test: true });
    expect(el.querySelector('.o_tiktok_sidecar')!.textContent).toContain('Never connected');
    expect(el.querySelector('.o_tiktok_sidecar')!.textContent).toContain('Connect the sidecar');

    const refusal = Object.assign(new Error('refused'), { data: { message: 'Only administrators can see the TikTok control room.' } });
    const refused = jest.fn(() => Promise.reject(refusal));
    Object.assign(services, { orm: { call: refused } });
    const other = target();
    await mount(TikTokDashboard, other, { props: {}, templates: TEMPLATES, test: true });
    expect(other.querySelector('.o_tiktok_error')!.textContent).toContain('Only administrators');
  });
});

describe('test event dialog', () => {
  it('follows the request until TikTok answers and shows its code and message', async () => {
    const answers: TestEventStatus[] = [
      { id: 7, website: 'My Website', state: 'requested', state_label: 'Waiting', code: null, message: '', replica: '' },
      { id: 7, website: 'My Website', state: 'answered', state_label: 'TikTok answered', code: 40002, message: 'Invalid parameter: [redacted]', replica: 'r1' },
    ];
    let release: () => void = () => undefined;
    const call = jest.fn(async () => {
      if (answers.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return [answers.shift()];
    });
    Object.assign(services, { orm: { call } });
    TEST_EVENT_POLL.intervalMs = 5;
    const el = target();
    await mount(TestEventDialog, el, { props: { action: { params: { request_id: 7 } } }, templates: TEMPLATES, test: true });
    await until(() => el.querySelector('.o_tiktok_test_event_state') !== null);
    expect(el.querySelector('.o_tiktok_test_event_state')!.getAttribute('data-state')).toBe('requested');
    expect(el.querySelector('.o_tiktok_code')).toBeNull();
    release();
    await until(() => el.querySelector('.o_tiktok_code') !== null);
    expect(call).toHaveBeenCalledWith('tiktok.test.event', 'tiktok_test_event_status', [[7]]);
    expect(el.querySelector('.o_tiktok_test_event_state')!.textContent).toContain('TikTok refused the test event');
    expect(el.querySelector('.o_tiktok_code')!.textContent).toBe('40002');
    expect(el.querySelector('.o_tiktok_message')!.textContent).toBe('Invalid parameter: [redacted]');
    expect(call).toHaveBeenCalledTimes(2);
  });
});

describe('sidecar key dialog', () => {
  it('shows the key lines once and says connected when a replica reports', async () => {
    const call = jest.fn(() => Promise.resolve({ connected: true, replicas: [{ replica: 'shop-sidecar-1', version: '0.1.0', last_seen: '2024-11-25 02:00:00', status: 'connected' }] }));
    const doAction = jest.fn();
    Object.assign(services, { orm: { call }, notification: { add: jest.fn() }, action: { doAction } });
    const el = target();
    const params = { login: 'tiktok-sidecar', key: 'k'.repeat(40), env_lines: 'ODOO_API_KEY=' + 'k'.repeat(40), compose: 'ODOO_API_KEY=…', since: 1732500000, rotated: true };
    await mount(SidecarKeyDialog, el, { props: { action: { params } }, templates: TEMPLATES, test: true });
    await until(() => el.querySelector('.o_tiktok_connected') !== null);
    expect(el.querySelector('.o_tiktok_env_lines')!.textContent).toBe(params.env_lines);
    expect(el.textContent).toContain('previous key of tiktok-sidecar no longer works');
    expect(call).toHaveBeenCalledWith('tiktok.sidecar.report', 'tiktok_connection_status', [1732500000]);
    expect(el.querySelector('.o_tiktok_connected')!.textContent).toContain('shop-sidecar-1 reported at formatted 2024-11-25 02:00:00');
    // Closed from its own button, back to the settings.
    (el.querySelector('.o_tiktok_close') as HTMLButtonElement).click();
    expect(doAction).toHaveBeenCalledWith({ type: 'ir.actions.act_window_close' });
  });
});

describe('registration', () => {
  it('registers the three client actions', async () => {
    await import('../main');
    expect(Object.keys(registered).sort()).toEqual([
      'website_tiktok_events.dashboard',
      'website_tiktok_events.sidecar_key',
      'website_tiktok_events.test_event',
    ]);
  });
});
