/**
 * Small stand-ins for the Odoo 19 modules the bundle imports (kept external
 * by the build), each with the behaviour the bundle relies on. Test files
 * hand them to `jest.mock(name, () => require('./odooStubs').…, { virtual: true })`.
 */

type Handler = (ev: Event) => void;

/** What the stubs share with a test: registrations, Interaction cleanups, the cart's RPCs and redirects. */
export const odoo = {
  registries: new Map<string, Map<string, any>>(),
  cleanups: [] as Array<() => void>,
  /** The next answer of each route, and every call, in order. */
  rpcAnswers: new Map<string, unknown>(),
  rpcCalls: [] as Array<{ route: string; params: unknown }>,
  redirects: [] as string[],
  /** Every component an interaction mounted. */
  mounted: [] as Array<{ el: HTMLElement; component: unknown; props: unknown }>,
  /** Odoo's `session.add_to_cart_action` (the website's "go to cart" setting). */
  addToCartAction: 'stay' as 'stay' | 'go_to_cart',
  /** Between tests; registrations stay (the bundle is loaded once per test file). */
  reset(): void {
    this.cleanups.splice(0);
    this.rpcAnswers.clear();
    this.rpcCalls.splice(0);
    this.redirects.splice(0);
    this.mounted.splice(0);
    this.addToCartAction = 'stay';
  },
};

/** `@web/core/assets`: Odoo's component that loads a bundle, then mounts what it registered. */
export const assetsModule = {
  LazyComponent: class LazyComponent {},
};

/** `@web/core/registry`: named categories of named entries. */
export const registryModule = {
  registry: {
    category(name: string) {
      if (!odoo.registries.has(name)) odoo.registries.set(name, new Map());
      const entries = odoo.registries.get(name)!;
      const category = {
        add: (key: string, value: unknown) => (entries.set(key, value), category),
        get: (key: string) => entries.get(key),
      };
      return category;
    },
  },
};

/**
 * `@web/public/interaction`: binds `dynamicContent` the way colibri does
 * (`_root`, `_document`, `_window`, CSS selectors inside the element,
 * `.capture`/`.noUpdate` suffixes); `this.services` is the env's.
 */
export const interactionModule = {
  Interaction: class {
    static selector = '';
    dynamicContent: Record<string, Record<string, Handler>> = {};
    services: Record<string, unknown>;
    constructor(
      public el: HTMLElement,
      public env: { services: Record<string, unknown> },
    ) {
      this.services = env.services;
    }
    setup() {}
    start() {}
    destroy() {}
    registerCleanup(fn: () => void) {
      odoo.cleanups.push(fn);
    }
    mountComponent(el: HTMLElement, component: unknown, props: unknown) {
      odoo.mounted.push({ el, component, props });
      return () => undefined;
    }
    boot() {
      this.setup();
      for (const [selector, directives] of Object.entries(this.dynamicContent)) {
        const nodes: EventTarget[] =
          selector === '_root'
            ? [this.el]
            : selector === '_document'
              ? [document]
              : selector === '_window'
                ? [window]
                : Array.from(this.el.querySelectorAll(selector));
        for (const [directive, handler] of Object.entries(directives)) {
          const parts = directive.replace(/^t-on-/, '').split('.');
          const capture = parts.includes('capture');
          for (const node of nodes) {
            node.addEventListener(parts[0], handler, { capture });
            this.registerCleanup(() => node.removeEventListener(parts[0], handler, { capture }));
          }
        }
      }
      this.start();
      this.registerCleanup(() => this.destroy());
    }
  },
};

/**
 * `@web/core/utils/patch`, as Odoo does it: the extension's properties
 * replace the object's, and the extension's prototype becomes an object
 * holding the replaced ones, so `super.x()` calls what was there before.
 */
export const patchModule = {
  patch(objToPatch: object, extension: object) {
    const previous = Object.create(Object.getPrototypeOf(objToPatch));
    for (const key of Object.keys(Object.getOwnPropertyDescriptors(extension))) {
      const own = Object.getOwnPropertyDescriptor(objToPatch, key);
      if (own) Object.defineProperty(previous, key, own);
      Object.defineProperty(objToPatch, key, { ...Object.getOwnPropertyDescriptor(extension, key)!, enumerable: false });
    }
    Object.setPrototypeOf(extension, previous);
    return () => undefined;
  },
};

async function rpc(route: string, params: unknown): Promise<unknown> {
  odoo.rpcCalls.push({ route, params });
  return odoo.rpcAnswers.get(route);
}

/**
 * `@website_sale/js/cart_service`: Odoo 19's CartService reduced to the path
 * of a product added directly (no configurator): same constructor, `setup`
 * (`this.rpc = rpc`, only `add` exposed), `_makeRequest` (redirect with "go
 * to cart", else notification and `add_to_cart_event` with `tracking_info`).
 */
export const cartServiceModule = {
  CartService: class CartService {
    static dependencies = ['cartNotificationService', 'dialog'];
    rpc!: typeof rpc;
    constructor(...args: unknown[]) {
      return (this.setup as (...a: unknown[]) => unknown)(...args) as CartService;
    }
    setup(_env: unknown, _services: unknown): { add: (...args: any[]) => Promise<number> } {
      this.rpc = rpc;
      return { add: (...args: any[]) => this.add(args[0], args[1]) };
    }
    async add(product: { productTemplateId: number; productId: number; quantity?: number }, { isBuyNow = false } = {}): Promise<number> {
      return this._makeRequest({ ...product, quantity: product.quantity ?? 1, shouldRedirectToCart: isBuyNow });
    }
    async _makeRequest({ productTemplateId, productId, quantity, shouldRedirectToCart }: any): Promise<number> {
      const data = (await this.rpc('/shop/cart/add', { product_template_id: productTemplateId, product_id: productId, quantity })) as any;
      if (shouldRedirectToCart || odoo.addToCartAction === 'go_to_cart') {
        odoo.redirects.push('/shop/cart');
        return data.quantity;
      }
      if (data.quantity) {
        document.querySelector('.oe_website_sale')!.dispatchEvent(new CustomEvent('add_to_cart_event', { detail: data.tracking_info }));
      }
      return data.quantity;
    }
  },
};

/** Odoo's service start and public interactions start, over what the bundle registered. */
export function startOdoo(): { services: Record<string, any>; interactions: Array<{ el: Element }> } {
  const env = { services: {} as Record<string, any> };
  for (const [name, service] of odoo.registries.get('services') ?? []) env.services[name] = service.start(env, {});
  const { CartService } = cartServiceModule;
  env.services.cart = new CartService(env, {});
  return { services: env.services, interactions: startInteractions(env) };
}

export function startInteractions(env: { services: Record<string, unknown> }): Array<{ el: Element }> {
  const started = [];
  for (const Cls of odoo.registries.get('public.interactions')?.values() ?? []) {
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(Cls.selector))) {
      const interaction = new Cls(el, env);
      interaction.boot();
      started.push(interaction);
    }
  }
  return started;
}

/** What Odoo does when the page's interactions stop (the editor, a part of the page re-rendered). */
export function stopInteractions(): void {
  for (const cleanup of odoo.cleanups.splice(0)) cleanup();
}
