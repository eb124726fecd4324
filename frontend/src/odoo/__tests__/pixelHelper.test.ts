/** @jest-environment jsdom */
import { mount } from '@odoo/owl';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PixelHelper } from '../pixelHelper';
import { Tracker } from '../../core/tracker';
import type { RelayOutcome } from '../../core/relay';
import '../../core/__tests__/fixturePage'; // jsdom's missing browser APIs (TextEncoder, WebCrypto)

/** The panel's template as Odoo loads it, from the module's static XML. */
const TEMPLATES = readFileSync(join(__dirname, '..', '..', '..', '..', 'addon', 'website_tiktok_events', 'static', 'src', 'xml', 'tiktok_pixel_helper.xml'), 'utf8');

// OWL renders on the next animation frame
const tick = () => new Promise((resolve) => setTimeout(resolve, 40));

/** The panel over a tracker whose relay answers through `send`, mounted in a fresh element. */
async function mountPanel(send: () => Promise<RelayOutcome>): Promise<{ tracker: Tracker; target: HTMLElement }> {
  const tracker = new Tracker({
    config: { pixel_id: 'PIX', website_id: 1, relay_url: '/r', page_event_id: 'pv-1', debug: true },
    ttq: () => undefined,
    transport: { send },
    jar: document,
    location: window.location,
  });
  const target = document.createElement('div');
  document.body.appendChild(target);
  await mount(PixelHelper, target, { props: { tracker }, templates: TEMPLATES, test: true });
  return { tracker, target };
}

describe('pixel helper (debug panel)', () => {
  it('lists each fired event with its id, data and the relay answer', async () => {
    let answer: (o: RelayOutcome) => void = () => undefined;
    const { tracker, target } = await mountPanel(() => new Promise<RelayOutcome>((resolve) => (answer = resolve)));

    tracker.track('Search', { query: 'desk' }, { eventId: 'evt-1' });
    await tick();
    let item = target.querySelector('.o_tiktok_pixel_helper_event')!;
    expect(item.getAttribute('data-event')).toBe('Search');
    expect(item.textContent).toContain('evt-1');
    expect(item.textContent).toContain('{"query":"desk"}');
    // kept and sent, the relay's answer not read yet
    expect(item.getAttribute('data-relay')).toBe('sending');
    expect(item.querySelector('.badge')?.textContent).toBe('sent to the relay');

    answer({ status: 'accepted', accepted: 1 });
    await tick();
    await tick();
    item = target.querySelector('.o_tiktok_pixel_helper_event')!;
    expect(item.getAttribute('data-relay')).toBe('accepted');
    expect(item.querySelector('.badge')?.textContent).toBe('stored by the relay');
    expect(target.querySelector('.o_tiktok_pixel_helper')?.getAttribute('style')).toBeNull(); // in the page's flow, not over it
  });

  it('folds and unfolds from its header', async () => {
    const { tracker, target } = await mountPanel(() => Promise.resolve<RelayOutcome>({ status: 'accepted', accepted: 1 }));
    tracker.track('Search', { query: 'desk' }, { eventId: 'evt-2' });
    await tick();
    const header = target.querySelector<HTMLButtonElement>('.card-header')!;
    expect(header.getAttribute('aria-expanded')).toBe('true');
    header.click();
    await tick();
    expect(target.querySelector('.o_tiktok_pixel_helper_event')).toBeNull();
    expect(header.getAttribute('aria-expanded')).toBe('false');
    expect(header.textContent).toContain('1 event(s) on this page');
  });
});
