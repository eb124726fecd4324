import { ClaimedPurchaseSchema, type ClaimedPurchase } from '../contract/purchase';
import type { PurchaseClaim, PurchaseClaims, SettledClaim } from '../outbox/purchaseClaims';
import { ClaimPoller, type ClaimPollerDeps, type ClaimPollerOptions, type ClaimQueue } from './claimPoller';
import { buildPurchaseEvent } from './purchaseEvent';

/** Web Purchases, claimed through sale.order (docs/CONTRACTS.md §6). */
export function purchaseQueue(table: PurchaseClaims): ClaimQueue<ClaimedPurchase, PurchaseClaim, SettledClaim, number> {
  return {
    name: 'purchases',
    item: 'order',
    model: 'sale.order',
    claimMethod: 'tiktok_claim_purchases',
    markMethod: 'tiktok_mark_purchases',
    schema: ClaimedPurchaseSchema,
    keyOf: (purchase) => purchase.order_id,
    settledKey: (settled) => settled.orderId,
    event: buildPurchaseEvent,
    claim: (purchase, event) => ({ orderId: purchase.order_id, event }),
    describe: (claim) => claim.orderId,
    skippedMessage: 'website has no usable TikTok pixel; orders marked skipped',
    table,
  };
}

/**
 * Claims confirmed web orders from Odoo, turns each into a server Purchase in the
 * outbox with the confirmation page's event id, and reports back to Odoo once TikTok settled it.
 */
export class PurchasePoller extends ClaimPoller<ClaimedPurchase, PurchaseClaim, SettledClaim, number> {
  constructor(deps: ClaimPollerDeps & { purchaseClaims: PurchaseClaims }, opts: ClaimPollerOptions) {
    super(purchaseQueue(deps.purchaseClaims), deps, opts);
  }
}
