import pino from 'pino';
import { loadConfig, type Env } from '../../sidecar/src/config';
import { Metrics } from '../../sidecar/src/metrics';
import { SqliteOutbox, type ImmediateOutbox, type Outbox } from '../../sidecar/src/outbox/outbox';
import { createSidecar, type Sidecar } from '../../sidecar/src/server';
import { StaticSettings } from '../../sidecar/src/settings/static';
import type { WebsiteSettings } from '../../sidecar/src/settings/types';
import type { EventsApiClient } from '../../sidecar/src/tiktok/client';

export const PIXEL = 'CTESTPIXEL0000000001';
export const SHOP = 'https://shop.example';
export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

export function website(overrides: Partial<WebsiteSettings> = {}): WebsiteSettings {
  return {
    websiteId: 1,
    name: 'Shop',
    enabled: true,
    pixelId: PIXEL,
    accessToken: 'test-access-token-0001',
    domains: [SHOP],
    eventNames: { Purchase: 'Purchase', SubmitForm: 'SubmitForm' },
    consentRequired: false,
    purchaseWithoutPayment: false,
    debug: false,
    matchKeys: 'contact',
    limitedDataUse: false,
    gpc: 'ignore',
    ...overrides,
  };
}

/** A sidecar on an in-memory outbox, silent logs, and the given settings; not listening. */
/** A sidecar on a SQLite outbox; `file` reads that outbox at once (no promises), for assertions. */
export function testSidecar(
  opts: {
    env?: Record<string, string>;
    websites?: WebsiteSettings[];
    client?: EventsApiClient;
    outboxPath?: string;
    /** The outbox as the sidecar sees it, e.g. with a call that never answers. */
    wrapOutbox?: (outbox: Outbox) => Outbox;
  } = {},
): Sidecar & { cfg: Env; file: ImmediateOutbox } {
  const cfg = loadConfig({ OUTBOX_PATH: opts.outboxPath ?? ':memory:', RELAY_PORT: '0', LOG_LEVEL: 'silent', ...opts.env });
  const outbox = new SqliteOutbox(cfg.OUTBOX_PATH);
  const sidecar = createSidecar(cfg, {
    log: pino({ level: 'silent' }),
    metrics: new Metrics(),
    outbox: opts.wrapOutbox ? opts.wrapOutbox(outbox) : outbox,
    settings: new StaticSettings(opts.websites ?? [website()]),
    client: opts.client,
  });
  return Object.assign(sidecar, { cfg, file: outbox.immediate });
}

export function relayEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pixel_id: PIXEL,
    event: 'AddToCart',
    event_id: `evt-${Math.random().toString(36).slice(2)}`,
    page: { url: `${SHOP}/shop/desk` },
    properties: { contents: [{ content_id: '23', content_type: 'product', content_name: 'Desk', price: 675, quantity: 1 }], currency: 'USD', value: 675 },
    ...overrides,
  };
}
