/**
 * Browser copy ↔ server copy: what TikTok deduplicates on (pixel, event name,
 * event_id), checked against what the fake Events API actually received.
 */
import { createHash } from 'node:crypto';
import { odooExternalId } from '../../../sidecar/src/tiktok/__tests__/nodeHash';
import type { DeliveredEvent, FakeEventsApi } from '../../support/fakeEventsApi';
import type { Stack } from './stack';

/** Independent of the product's code: the rules of the Events API spec. */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
export const hashEmail = (email: string): string => sha256(email.trim().toLowerCase());
/** `e164` must already be "+<country><number>". */
export const hashPhone = (e164: string): string => sha256(e164.replace(/[^+\d]/g, ''));
/**
 * The external_id Odoo signs for a partner (res.partner._tiktok_external_id):
 * an HMAC with the database secret, as tests/vectors/contract.json says.
 */
export async function externalIdOf(stack: Stack, partnerId: number): Promise<string> {
  const secret = await stack.admin.call<string>('ir.config_parameter', 'get_param', ['database.secret']);
  return odooExternalId(secret, partnerId);
}

export function deliveredById(fake: FakeEventsApi, eventId: string): DeliveredEvent[] {
  return fake.delivered.filter((d) => d.row?.event_id === eventId);
}

/** Waits until the fake received the event with this id (or fails naming what it did get). */
export async function serverCopy(fake: FakeEventsApi, eventId: string, timeoutMs = 15_000): Promise<DeliveredEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [found] = deliveredById(fake, eventId);
    if (found) return found;
    if (Date.now() > deadline) {
      const got = fake.delivered.map((d) => `${d.row?.event}:${d.row?.event_id}`).join(', ');
      throw new Error(`no server event with event_id ${eventId} within ${timeoutMs} ms; the fake received: [${got}]`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Gives the sidecar time to deliver anything it (wrongly) accepted, then returns what arrived. */
export async function nothingArrives(fake: FakeEventsApi, matches: (d: DeliveredEvent) => boolean, waitMs = 3000): Promise<DeliveredEvent[]> {
  await new Promise((r) => setTimeout(r, waitMs));
  return fake.delivered.filter(matches);
}

/** The Purchase Odoo queued for an order (administrators may read the queue; nobody may write it). */
export async function queuedPurchase(stack: Stack, orderId: number): Promise<{ event_id: string; state: string }> {
  const [queued] = await stack.admin.call<Array<{ event_id: string; state: string }>>(
    'tiktok.server.event', 'search_read', [[['sale_order_id', '=', orderId]]], { fields: ['event_id', 'state'] },
  );
  if (!queued) throw new Error(`no TikTok Purchase queued for order ${orderId}`);
  return queued;
}
