import type { DetectorContext } from '../core/context';
import { createSession, readPageConfig } from '../core/session';

/**
 * One tracking session per page, shared by every interaction (they start in
 * no particular order). `null` means the page has no usable config: tracking
 * is off and every interaction stays inert.
 */
let current: DetectorContext | null | undefined;

export function pageSession(): DetectorContext | undefined {
  if (current === undefined) {
    const config = readPageConfig(document);
    current = config ? createSession(window, config) : null;
  }
  return current ?? undefined;
}

/** Tests only: forget the page's session. */
export function resetPageSession(): void {
  current = undefined;
}
