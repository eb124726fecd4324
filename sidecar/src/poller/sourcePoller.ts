import { ClaimedSourceEventSchema, type ClaimedSourceEvent } from '../contract/sourceEvent';
import type { SettledSourceClaim, SourceClaim, SourceClaims } from '../outbox/sourceClaims';
import { ClaimPoller, type ClaimPollerDeps, type ClaimPollerOptions, type ClaimQueue } from './claimPoller';
import { buildSourceEvent } from './sourceEvent';

/** The Odoo model whose RPC methods hand out and take back events of other sources. */
export const SOURCE_EVENT_MODEL = 'tiktok.source.event';

/** Events of Odoo's other sources (CRM lead stages, offline sales), by event id (docs/CONTRACTS.md §8). */
export function sourceQueue(table: SourceClaims): ClaimQueue<ClaimedSourceEvent, SourceClaim, SettledSourceClaim, string> {
  return {
    name: 'source events',
    item: 'event',
    model: SOURCE_EVENT_MODEL,
    claimMethod: 'tiktok_claim_source_events',
    markMethod: 'tiktok_mark_source_events',
    schema: ClaimedSourceEventSchema,
    keyOf: (entry) => entry.event_id,
    settledKey: (settled) => settled.eventId,
    event: buildSourceEvent,
    claim: (_entry, event) => ({ event }),
    describe: ({ event }) => ({ lane: event.pixelId, event: event.event, eventId: event.eventId }),
    skippedMessage: 'their website has no settings here; marked skipped',
    table,
  };
}

/** Claims the events of Odoo's other sources the way the purchase poller claims orders. */
export class SourcePoller extends ClaimPoller<ClaimedSourceEvent, SourceClaim, SettledSourceClaim, string> {
  constructor(deps: ClaimPollerDeps & { sourceClaims: SourceClaims }, opts: ClaimPollerOptions) {
    super(sourceQueue(deps.sourceClaims), deps, opts);
  }
}
