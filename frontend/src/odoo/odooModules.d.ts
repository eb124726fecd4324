/**
 * The Odoo 19 modules the bundle imports. They are provided by Odoo's asset
 * bundle at runtime (kept external by the build); only the surface used here
 * is declared.
 */
declare module '@web/public/interaction' {
  export class Interaction {
    static selector: string;
    el: HTMLElement;
    services: Record<string, unknown>;
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

declare module '@web/core/utils/patch' {
  /** Odoo's patch: the extension's methods replace the object's, `super` reaches the previous ones. */
  export function patch<T extends object>(objToPatch: T, extension: Partial<T> & ThisType<T>): () => void;
}

declare module '@website_sale/js/cart_service' {
  export class CartService {
    rpc: (route: string, ...args: unknown[]) => Promise<unknown>;
    setup(env: unknown, services: unknown): { add: (...args: unknown[]) => Promise<number> };
  }
}

declare module '@web/core/assets' {
  /** Loads `bundle`, then mounts the component it registered as `Component` in the `lazy_components` registry. */
  export class LazyComponent {}
}
