/**
 * The Odoo 19 back-office modules the control room imports. Odoo's asset
 * bundle provides them at runtime (kept external by the build); only the
 * surface used here is declared. `@web/core/registry` is declared next to the
 * shop bundle (frontend/src/odoo/odoo-modules.d.ts).
 */
declare module '@web/core/l10n/translation' {
  /** Odoo's translation of a source string; the extractor finds `_t("...")` calls. */
  export function _t(text: string, ...values: unknown[]): string;
}

declare module '@web/core/utils/hooks' {
  export interface OrmService {
    call<T = unknown>(model: string, method: string, args?: unknown[], kwargs?: Record<string, unknown>): Promise<T>;
  }
  export interface ActionService {
    doAction(action: string | Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
  }
  export interface NotificationService {
    add(message: string, options?: { type?: 'info' | 'success' | 'warning' | 'danger'; title?: string }): () => void;
  }
  export function useService(name: 'orm'): OrmService;
  export function useService(name: 'action'): ActionService;
  export function useService(name: 'notification'): NotificationService;
}

declare module '@web/search/layout' {
  import { Component } from '@odoo/owl';
  /** The back office's page frame: control panel with breadcrumbs, then the content. */
  export class Layout extends Component {}
}

declare module '@web/core/l10n/dates' {
  /** A luxon DateTime: only what the control room uses. */
  export interface DateTime {
    toRelative(): string | null;
  }
  /** Odoo's datetime text in UTC ("2025-01-07 10:00:00") as a time in the browser's zone. */
  export function deserializeDateTime(value: string): DateTime;
  /** A time as Odoo's datetime fields show it (the user's language, the browser's zone). */
  export function formatDateTime(value: DateTime): string;
}
