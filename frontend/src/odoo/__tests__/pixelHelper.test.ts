/** @jest-environment jsdom */
import { mount } from '@odoo/owl';
import { PixelHelper } from '../pixelHelper';
import { Tracker } from '../../core/tracker';
import type { RelayOutcome } from '../../core/relay';

// OWL renders on the next animation frame
const tick = () => new Promise((resolve) => setTimeout(resolve, 40));

describe('pixel helper (debug panel)', () => {
  it('lists each fired event with its id, data and the relay answer', async () => {
    let answer: (o: RelayOutcome) => void = () => undefined;
    const tracker = new Tracker({
      config: { pixel_id: 'PIX', website_id: 1, relay_url: '/r', page_event_id: 'pv-1', debug: true },
      ttq: () => undefined,
      transport: { send: () => new Promise<RelayOutcome>((resolve) => (answer = resolve)) },
      jar: document,
      location: window.location,
    });
    const target = document.createElement('div');
    document.body.appendChild(target);
    await mount(PixelHelper, target, { props: { tracker }, test: true });

    tracker.track('Search', { query: 'desk' }, { eventId: 'evt-1' });
    await tick();
    let item = target.querySelector('.o_tiktok_pixelHelper_event')!;
    expect(item.getAttribute('data-event')).toBe('Search');
    expect(item.textContent).toContain('evt-1');
    expect(item.textContent).toContain('{"query":"desk"}');
    expect(item.getAttribute('data-relay')).toBe('not relayed');

    answer({ status: 'accepted', accepted: 1 });
    await tick();
    await tick();
    item = target.querySelector('.o_tiktok_pixelHelper_event')!;
    expect(item.getAttribute('data-relay')).toBe('accepted');
  });
});
