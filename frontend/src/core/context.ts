import type { Tracker } from './tracker';
import type { KeyValueStore } from './storage';
import type { PhoneReading } from './hashing';
import type { ContentItem } from './config';

/** What one page remembers between its own events; a new page starts empty. */
export interface PageMemory {
  /** The product variant last reported as viewed (Odoo announces the loaded one again). */
  viewed?: string;
  /** AddPaymentInfo counts once per page, however often "Pay" is pressed. */
  paymentInfoSent?: boolean;
}

/** What every detector needs: the tracker, session storage, where we are and the page's memory. */
export interface DetectorContext {
  tracker: Tracker;
  store?: KeyValueStore;
  location: Pick<Location, 'pathname' | 'search' | 'href'>;
  now: () => number;
  page: PageMemory;
  /** How a phone number typed in a form is read before it is hashed. */
  phone: PhoneReading;
}

/**
 * The content id of a product the page shows by its `product.product` id: the
 * module's (`content_ids`, when the website sends internal references), so
 * every event names a product as the server's copies and the Purchase do.
 */
export function contentId(ctx: DetectorContext, productId: string): string {
  return ctx.tracker.config.content_ids?.[productId] ?? productId;
}

/** The website currency, for values read from the page. */
export function pageCurrency(ctx: DetectorContext): string | undefined {
  return ctx.tracker.config.currency;
}

/**
 * The properties of an event about products or an order: its contents (each
 * a product unless it says otherwise), their currency and value. One shape
 * for every event that carries contents.
 */
export function productProps(contents: Array<Partial<ContentItem>> | undefined, currency?: string, value?: number) {
  const typed = contents?.map((c) => ({ ...c, content_type: c.content_type ?? 'product' }));
  // A product group's page is about the group: the event says so as its contents do.
  return { contents: typed, content_type: typed?.[0]?.content_type ?? 'product', currency, value };
}
