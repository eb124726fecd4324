import type { ContentItem } from './config';
import { roundMoney } from './clean';

/** Identifies a cart's content: a new product or quantity means a new checkout. */
export function cartSignature(contents: Array<Pick<ContentItem, 'content_id' | 'quantity'>>): string {
  return contents
    .map((c) => `${c.content_id}x${c.quantity ?? 1}`)
    .sort()
    .join(',');
}

export function cartValue(contents: ContentItem[]): number {
  return roundMoney(contents.reduce((sum, c) => sum + (c.price ?? 0) * (c.quantity ?? 1), 0));
}
