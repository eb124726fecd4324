/**
 * Event names come from the sidecar's module so both sides of a pair resolve
 * them from one function (esbuild bundles the few lines it needs).
 */
export { browserEventName, DEFAULT_EVENT_NAMES } from '@contract/eventNames';
export type { CanonicalEvent, EventNameVariants } from '@contract/eventNames';
