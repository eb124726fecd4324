/**
 * The two Odoo 19 modules the bundle imports. They are provided by Odoo's
 * asset bundle at runtime (kept external by the build); only the surface used
 * here is declared.
 */
declare module '@web/public/interaction' {
  export class Interaction {
    static selector: string;
    el: HTMLElement;
    dynamicContent: Record<string, Record<string, unknown>>;
    setup(): void;
    start(): void;
    destroy(): void;
    registerCleanup(fn: () => void): void;
    mountComponent(el: HTMLElement, component: unknown, props?: Record<string, unknown> | null, position?: string): () => void;
  }
}

declare module '@web/core/registry' {
  interface Category {
    add(key: string, value: unknown, options?: { force?: boolean; sequence?: number }): Category;
    get(key: string): unknown;
  }
  export const registry: { category(name: string): Category };
}
