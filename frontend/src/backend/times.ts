/**
 * Times of the control room, shown as Odoo's datetime fields show theirs (the
 * settings page's "last report" among them): the module sends UTC, the page
 * formats it in the browser's zone with Odoo's own functions, so one moment
 * reads the same on both pages.
 */
import { deserializeDateTime, formatDateTime } from '@web/core/l10n/dates';

/** "01/07/2025 11:00:00" for "2025-01-07 10:00:00" in Brussels; '' for nothing. */
export function shownTime(utc: string | null | undefined): string {
  return utc ? formatDateTime(deserializeDateTime(utc)) : '';
}

/** "3 minutes ago"; '' for nothing. */
export function shownAge(utc: string | null | undefined): string {
  return utc ? (deserializeDateTime(utc).toRelative() ?? '') : '';
}
