/**
 * A test event an administrator asked for in Odoo: one harmless `Pageview`
 * with the website's test event code, sent straight to TikTok (not through the
 * outbox: the answer is what the administrator wants to see), and TikTok's
 * answer in words for the next report. Never sent without a test event code:
 * it would count as a real page view.
 */
import { REPORT_MAX_MESSAGE_CHARS, type ReportTestEvent, type TestEventRequest } from '../contract/report';
import type { WebsiteSettings } from '../settings/types';
import { serverEventName } from '../contract/eventNames';
import type { SendOutcome } from '../tiktok/outcome';
import { webLane } from '../tiktok/lane';
import { serializeTrackRequest, unixSeconds } from '../tiktok/payload';
import { scrubFreeText } from '../tiktok/contactData';
import { websiteEventRow } from '../outbox/websiteRow';

export const TEST_EVENT = serverEventName('PageView');

/** What to do with one request: send this body with this token, or answer at once. */
export type TestEventPlan =
  | { kind: 'send'; requestId: number; eventId: string; body: string; accessToken: string }
  | { kind: 'answer'; answer: ReportTestEvent };

/** A message fit for the report: contact data blanked, at most `REPORT_MAX_MESSAGE_CHARS`. */
export function reportMessage(text: string): string {
  return clipped(scrubFreeText(text));
}

function clipped(text: string): string {
  return text.length > REPORT_MAX_MESSAGE_CHARS ? `${text.slice(0, REPORT_MAX_MESSAGE_CHARS - 1)}…` : text;
}

const notSent = (request: TestEventRequest, why: string): TestEventPlan => ({
  kind: 'answer',
  answer: { request_id: request.request_id, message: reportMessage(`not sent: ${why}`) },
});

/** The website's home page, when its settings name a domain. */
function homePage(website: WebsiteSettings): string | undefined {
  const origin = website.domains[0];
  return origin && URL.canParse(origin) ? new URL('/', origin).href : undefined;
}

/** `nonce`: a few random characters, so two tests of one request id (another replica) are two events. */
export function planTestEvent(request: TestEventRequest, websites: readonly WebsiteSettings[], nowMs: number, nonce: string): TestEventPlan {
  const website = websites.find((w) => w.websiteId === request.website_id);
  if (!website) {
    return notSent(request, `website ${request.website_id} has no usable TikTok pixel on this sidecar (tracking off, no pixel id or no Events API token in its TikTok settings)`);
  }
  // Odoo's code comes with the request: a code saved a moment ago is not in the settings read earlier.
  const testEventCode = request.test_event_code ?? website.testEventCode;
  if (!testEventCode) {
    return notSent(
      request,
      `website ${website.websiteId} has no test event code. Copy it from TikTok Events Manager (Test events) into the website's TikTok settings: without it the test would count as a real page view`,
    );
  }
  if (!website.accessToken) return notSent(request, `no Events API token for website ${website.websiteId} yet (its settings were not read from Odoo yet)`);
  const eventId = `test-${request.request_id}-${nonce}`;
  // Sent with the website's token like every other row: its choices (limited data use) apply.
  const row = websiteEventRow({ event: TEST_EVENT, eventId, eventTime: unixSeconds(nowMs), page: { url: homePage(website) } }, website);
  return {
    kind: 'send',
    requestId: request.request_id,
    eventId,
    body: serializeTrackRequest(webLane(website.pixelId), [JSON.stringify(row)], testEventCode),
    accessToken: website.accessToken,
  };
}

/** TikTok's answer to the test event, as the report carries it. */
export function testEventAnswer(requestId: number, eventId: string, outcome: SendOutcome): ReportTestEvent {
  const answer = (code: number | undefined, message: string): ReportTestEvent => ({
    request_id: requestId,
    ...(code === undefined ? {} : { code }),
    message: reportMessage(message),
  });
  switch (outcome.kind) {
    case 'delivered':
      // The sidecar's own words and its own id, nothing TikTok or a shopper wrote: not
      // read for contact data, where the id's random digits could pass for a phone number.
      return { request_id: requestId, code: 0, message: clipped(`OK: TikTok accepted the test event (${TEST_EVENT}, event id ${eventId})`) };
    case 'partial':
      return answer(outcome.failures[0].code, outcome.failures[0].message);
    case 'rejected':
    case 'request_problem':
      return answer(outcome.code, outcome.message);
    case 'too_large':
      return answer(outcome.status, outcome.message);
    case 'retry':
      return answer(undefined, `not delivered, try again later (${outcome.cause}): ${outcome.detail}`);
  }
}
