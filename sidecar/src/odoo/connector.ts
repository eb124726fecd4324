import { connectOdoo } from './connect';
import { isOdooError } from './errors';
import type { ConnectedOdoo, OdooConnectionConfig, OdooLogger } from './types';

/**
 * One shared Odoo connection, made on first use and made again after a failure,
 * so settings sync and the purchase poller both ride through an Odoo restart.
 */
export class OdooConnector {
  private connection?: Promise<ConnectedOdoo>;
  private lastProblem?: string;

  constructor(
    private readonly cfg: OdooConnectionConfig,
    private readonly log: OdooLogger & { error(obj: object, msg: string): void },
  ) {}

  get(): Promise<ConnectedOdoo> {
    if (!this.connection) {
      this.connection = connectOdoo(this.cfg, this.log).then(
        (odoo) => {
          if (this.lastProblem !== 'connected') this.log.info({ transport: odoo.kind, version: odoo.serverVersion, uid: odoo.uid }, 'odoo: connected');
          this.lastProblem = 'connected';
          return odoo;
        },
        (err: unknown) => {
          this.connection = undefined;
          const message = err instanceof Error ? err.message : String(err);
          // A configuration mistake is said loudly once; it will not fix itself.
          if (message !== this.lastProblem) {
            const retryable = isOdooError(err) ? err.retryable : true;
            (retryable ? this.log.warn.bind(this.log) : this.log.error.bind(this.log))({ retryable }, `odoo: ${message}`);
          }
          this.lastProblem = message;
          throw err;
        },
      );
    }
    return this.connection;
  }

  /** Forget the connection after a call failed in a way a reconnect may fix. */
  reset(): void {
    this.connection?.then((c) => c.close(), () => undefined);
    this.connection = undefined;
  }

  close(): void {
    this.reset();
  }
}
