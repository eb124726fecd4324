import type { OdooTransport } from '../../odoo/types';
import { claimDue, fakeTransport, settleClaimed, type FakeClaimRow } from './fakeClaimQueue';

export interface FakeSourceEvent extends FakeClaimRow {
  eventId: string;
  event: string;
  websiteId: number;
  eventSetId: string;
  source: 'crm' | 'offline';
}

/**
 * An in-memory stand-in for `tiktok.source.event`'s RPC methods, with the claim
 * semantics of its SQL (`FOR UPDATE SKIP LOCKED` + lease): a test double of the RPC edge.
 */
export class FakeOdooSourceEvents {
  events: FakeSourceEvent[] = [];
  calls: { method: string; kwargs?: Record<string, unknown> }[] = [];
  down = false;
  now = () => Date.now();

  add(eventId: string, event = 'Qualified', websiteId = 1, eventSetId = '7300000000000000001', source: FakeSourceEvent['source'] = 'crm'): void {
    this.events.push({ eventId, event, websiteId, eventSetId, source, state: 'pending' });
  }

  /** An offline sale of a point of sale whose name ends in a number, as Odoo names its orders. */
  addOfflineSale(eventId: string, websiteId = 1, eventSetId = 'OFFLINE_SET_1'): void {
    this.add(eventId, 'Purchase', websiteId, eventSetId, 'offline');
  }

  transport(): OdooTransport {
    return fakeTransport(this, {
      'tiktok.source.event.tiktok_claim_source_events': (kwargs) => this.claim(kwargs),
      'tiktok.source.event.tiktok_mark_source_events': (kwargs) => this.mark(kwargs),
    });
  }

  private claim(kwargs: Record<string, unknown>) {
    const now = this.now();
    return claimDue(this.events, kwargs, now).map((e) => ({
      website_id: e.websiteId,
      event_source: e.source,
      event_source_id: e.eventSetId,
      event: e.event,
      event_id: e.eventId,
      event_time: Math.floor(now / 1000),
      ...(e.source === 'crm'
        ? {
            user: { email: 'e'.repeat(64), phone: false, ip: '203.0.113.7', ttclid: `E.C.P.${e.eventId}` },
            lead: { lead_id: '7412345678901234567', lead_event_source: 'Odoo' },
          }
        : {
            user: { email: 'e'.repeat(64), external_id: 'f'.repeat(64) },
            properties: { value: 25, currency: 'EUR', order_id: 'Boutique 2 - 000005', shop_id: '2', contents: [{ content_id: '23', content_name: 'Oak stool', price: 12.5, quantity: 2 }] },
          }),
    }));
  }

  private mark(kwargs: Record<string, unknown>) {
    return settleClaimed(this.events, (e) => e.eventId, kwargs.event_ids as string[], kwargs);
  }
}
