import type { DetectorContext } from '../context';
import { pageCurrency, productProps } from '../context';
import { hashContact, type MatchKeys } from '../hashing';
import { readJson, writeJson, STORAGE_PREFIX } from '../storage';

const ATTENDEE_KEY = STORAGE_PREFIX + 'attendee';
const ATTENDEE_TTL_MS = 30 * 60_000;

/** `data-main-object="event.event(12,)"` on <html> names the event the page shows. */
function mainEventId(doc: Document): string | undefined {
  return /^event\.event\((\d+),?\)$/.exec(doc.documentElement.dataset.mainObject ?? '')?.[1];
}

/** Event page (`#wrap.o_wevent_event`): ViewContent with the event as content. */
export function trackEventPageView(ctx: DetectorContext, doc: Document): void {
  const wrap = doc.querySelector('#wrap.o_wevent_event');
  // The registration success page shares the event layout: it is a
  // CompleteRegistration, not a view of the event.
  if (!wrap || doc.querySelector('.o_wereg_confirmed')) return;
  const name = wrap.querySelector('h1[itemprop="name"], h1')?.textContent?.trim();
  const eventId = mainEventId(doc);
  ctx.tracker.track('ViewContent', productProps([{ content_id: eventId ? `event-${eventId}` : undefined, content_name: name }], pageCurrency(ctx)));
}

/**
 * Attendee form submit (`form#attendee_registration`): the first attendee's
 * e-mail and phone, hashed, are kept for the confirmation page the POST
 * redirects to. Only hashes are stored.
 */
export async function rememberAttendee(ctx: DetectorContext, form: HTMLFormElement): Promise<MatchKeys> {
  const email = form.querySelector<HTMLInputElement>('input[name$="-email"], input[name*="-email-"]')?.value;
  const phone = form.querySelector<HTMLInputElement>('input[name$="-phone"], input[name*="-phone-"]')?.value;
  const user = await hashContact(ctx.phone, email, phone);
  writeJson(ctx.store, ATTENDEE_KEY, { user, at: ctx.now() });
  return user;
}

/** Registration success page (`.o_wereg_confirmed`): CompleteRegistration with the attendee's keys. */
export function trackRegistrationSuccess(ctx: DetectorContext, doc: Document): void {
  const confirmed = doc.querySelector('.o_wereg_confirmed');
  if (!confirmed) return;
  const stored = readJson<{ user: MatchKeys; at: number }>(ctx.store, ATTENDEE_KEY);
  writeJson(ctx.store, ATTENDEE_KEY, undefined);
  const user = stored && ctx.now() - stored.at < ATTENDEE_TTL_MS ? stored.user : undefined;
  const eventLink = confirmed.querySelector<HTMLAnchorElement>('a[href*="/event/"]');
  const registrations = new URLSearchParams(ctx.location.search).get('registration_ids');
  ctx.tracker.track(
    'CompleteRegistration',
    {
      ...productProps([{ content_id: eventSlugId(eventLink?.getAttribute('href')), content_name: eventLink?.textContent?.trim() }]),
      description: registrations ? `registration ${registrations}` : undefined,
    },
    { user },
  );
}

/** "/event/tiktok-conference-9" → "event-9", matching the event page's content id. */
function eventSlugId(href: string | null | undefined): string | undefined {
  const match = /\/event\/[^/?#]*?-?(\d+)(?:[/?#]|$)/.exec(href ?? '');
  return match ? `event-${match[1]}` : undefined;
}
