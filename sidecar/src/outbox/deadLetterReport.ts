import { scrubFreeText } from '../tiktok/contactData';
import type { DeadLetter } from './eventQueue';

/**
 * What `dead-letters` prints: named columns, never a payload (match keys, ip, user
 * agent), and TikTok's message with any contact data it might quote blanked.
 */
export function deadLetterReport(letters: DeadLetter[]) {
  return letters.map((d) => ({
    id: d.id,
    pixel: d.pixelId,
    event: d.event,
    event_id: d.eventId,
    code: d.errorCode,
    message: d.lastError === null ? null : scrubFreeText(d.lastError),
    attempts: d.attempts,
    created: new Date(d.createdAt).toISOString(),
  }));
}
