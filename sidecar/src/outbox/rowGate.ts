import { readLane } from '../tiktok/lane';
import { completenessReasons, validateEventRow } from '../tiktok/validate';
import type { NewOutboxEvent } from './eventQueue';

/**
 * The one check of a row on its way into the outbox, whatever built it (the relay,
 * the Purchase poller, the poller of CRM stages and offline sales). The outbox's
 * writers (`GroupCommitWriter`, `ClaimTable.enqueueClaims`) take only a
 * `CheckedOutboxEvent`, and this file is the only one that makes one.
 */

declare const checkedRow: unique symbol;

/** An outbox event whose row passed the row rules of the contract. */
export type CheckedOutboxEvent = NewOutboxEvent & { readonly [checkedRow]: true };

export type RowVerdict = { kind: 'admitted'; event: CheckedOutboxEvent } | { kind: 'refused'; event: NewOutboxEvent; reasons: string[] };

const verdict = (event: NewOutboxEvent, reasons: string[]): RowVerdict =>
  reasons.length === 0 ? { kind: 'admitted', event: event as CheckedOutboxEvent } : { kind: 'refused', event, reasons };

/**
 * A row the server built from what Odoo handed out: every rule of a row
 * (`validateEventRow`), its event a name of its lane's source, its time by its
 * format only. How old an event may be differs by source and is TikTok's to judge
 * when it is sent; a clock of Odoo a few minutes ahead must not cost a Purchase.
 */
export function checkServerRow(event: NewOutboxEvent): RowVerdict {
  return verdict(event, validateEventRow(event.row, { eventSource: readLane(event.pixelId).eventSource }));
}

/**
 * A row the relay built from an event its contract (`contract/relay.ts`) accepted:
 * the formats were checked there, once, and the build keeps them (the time picked
 * within TikTok's window, places normalized, text scrubbed), so only the rules no
 * input format can hold are left (`completenessReasons`). The two are held equal
 * to the full check by relay/__tests__/toOutbox.test.ts: no relayed row is checked twice.
 */
export function checkRelayedRow(event: NewOutboxEvent): RowVerdict {
  return verdict(event, completenessReasons(event.row));
}
