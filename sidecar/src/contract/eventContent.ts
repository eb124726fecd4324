/**
 * The content id of an Odoo event (website_event) in ViewContent and
 * CompleteRegistration: `event-<event.event id>`. An event is not a product of
 * the shop's catalog: the catalog match leaves these ids out and counts them
 * apart. The page bundle writes it as a literal (every byte of it counts);
 * frontend/src/core/__tests__/detectors.test.ts holds it to this.
 */
export const EVENT_CONTENT_ID_PREFIX = 'event-';
