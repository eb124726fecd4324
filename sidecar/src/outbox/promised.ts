/**
 * A port's operations answered at once instead of through a promise: what the
 * SQLite engine does (it runs in this thread), and what tests read it through.
 */
export type Immediate<Port> = {
  [K in keyof Port]: Port[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : Port[K];
};

/**
 * The port over an engine that answers at once: each method returns a promise,
 * and a throw becomes a rejection, as it would from an engine on the network.
 */
export function promised<Port extends object>(immediate: Immediate<Port>): Port {
  const methods = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(immediate, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      let method = methods.get(key);
      if (!method) {
        method = async (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args);
        methods.set(key, method);
      }
      return method;
    },
  }) as unknown as Port;
}
