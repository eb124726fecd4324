import type { OdooTransport } from '../../odoo/types';
import { claimDue, fakeTransport, settleClaimed, type FakeClaimRow } from './fakeClaimQueue';

export interface FakeOrder extends FakeClaimRow {
  id: number;
  websiteId: number;
  value: number;
  /** Fields of its claim entry written otherwise (a module that sends a malformed Purchase). */
  entry?: Record<string, unknown>;
}

/**
 * An in-memory stand-in for the module's purchase methods with the same claim
 * semantics as the SQL (`FOR UPDATE SKIP LOCKED` + lease), and for the report
 * method (`tiktok.sidecar.report.tiktok_report`): a test double of the RPC edge.
 */
export class FakeOdooPurchases {
  orders: FakeOrder[] = [];
  calls: { method: string; kwargs?: Record<string, unknown> }[] = [];
  down = false;
  /** Methods that fail while the others answer (`tiktok_claim_purchases`, `tiktok_report`…). */
  failing = new Set<string>();
  /** Reports received and answered, in order. */
  reports: Record<string, any>[] = [];
  /**
   * Answers to the next reports, one each; `{ok: true}` with nothing to do when none is
   * queued. An Error is thrown instead, after the report was recorded: Odoo refused it
   * (an OdooError of kind `validation`) or committed it and the answer was lost.
   */
  reportAnswers: unknown[] = [];
  now = () => Date.now();

  add(id: number, websiteId = 1, value = 100, entry?: Record<string, unknown>): void {
    this.orders.push({ id, state: 'pending', websiteId, value, entry });
  }

  transport(): OdooTransport {
    return fakeTransport(this, {
      'tiktok.sidecar.report.tiktok_report': (kwargs) => this.report(kwargs),
      'sale.order.tiktok_claim_purchases': (kwargs) => this.claim(kwargs),
      'sale.order.tiktok_mark_purchases': (kwargs) => this.mark(kwargs),
    });
  }

  private claim(kwargs: Record<string, unknown>) {
    const now = this.now();
    return claimDue(this.orders, kwargs, now).map((o) => ({
      order_id: o.id,
      website_id: o.websiteId,
      event_id: `purchase-so-${o.id}`,
      event_time: Math.floor(now / 1000),
      order_name: `S${String(o.id).padStart(5, '0')}`,
      value: o.value,
      currency: 'EUR',
      contents: [{ content_id: '23', content_type: 'product', content_name: 'Desk', price: o.value, quantity: 1 }],
      user: { email: 'e'.repeat(64), phone: false, external_id: 'f'.repeat(64), ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11) Chrome/131', ttclid: `E.C.P.fake${o.id}`, ttp: `2FakeTtpCookie${String(o.id).padStart(6, '0')}` },
      page_url: 'https://shop.example/shop/confirmation',
      ...o.entry,
    }));
  }

  private report(kwargs: Record<string, unknown>) {
    this.reports.push(kwargs.report as Record<string, any>);
    const answer = this.reportAnswers.length ? this.reportAnswers.shift() : { ok: true, send_again: [], test_events: [] };
    if (answer instanceof Error) throw answer;
    return answer;
  }

  private mark(kwargs: Record<string, unknown>) {
    return settleClaimed(this.orders, (o) => o.id, kwargs.order_ids as number[], kwargs);
  }
}
