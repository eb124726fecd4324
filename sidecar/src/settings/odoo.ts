import type { Logger } from 'pino';
import type { OdooTransport } from '../odoo/types';
import { indexByPixel, parseWebsiteEntry } from './odooAnswer';
import type { SettingsSource, WebsiteSettings } from './types';

/** Where the last website settings read from Odoo are kept, without tokens, for a start while Odoo is down. */
export interface SettingsSnapshot {
  save(json: string, now: number): Promise<void>;
  load(): Promise<string | undefined>;
}

/**
 * Per-website settings read from the module over RPC, refreshed periodically and
 * applied without a restart. The last good answer stays in force while Odoo is
 * unreachable: events keep flowing on the settings they had.
 */
export class OdooSettingsSource implements SettingsSource {
  private websites: WebsiteSettings[] = [];
  private byPixelIndex = new Map<string, WebsiteSettings>();
  private warned = new Map<string, string>();
  private loaded = false;
  private timer?: NodeJS.Timeout;
  private consecutiveFailures = 0;

  constructor(
    private readonly odoo: () => Promise<OdooTransport>,
    private readonly log: Logger,
    private readonly refreshMs: number,
    private readonly snapshot?: SettingsSnapshot,
  ) {}

  /**
   * Start on the last settings seen (tokens excluded: they live only in Odoo and in
   * memory) so the relay keeps accepting while Odoo is down; events wait in the
   * outbox until a fresh read brings the tokens.
   */
  async restoreSnapshot(): Promise<void> {
    let json: string | undefined;
    try {
      json = await this.snapshot?.load();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'settings: the saved settings snapshot could not be read; waiting for Odoo');
      return;
    }
    if (!json) return;
    try {
      const websites = (JSON.parse(json) as WebsiteSettings[]).map((w) => ({ ...w, accessToken: '' }));
      this.websites = websites;
      this.byPixelIndex = indexByPixel(websites);
      this.log.info({ websites: websites.length }, 'settings: using the last settings read from Odoo until Odoo answers');
    } catch {
      this.log.warn('settings: the saved settings snapshot is unreadable; waiting for Odoo');
    }
  }

  byPixel(pixelId: string): WebsiteSettings | undefined {
    return this.byPixelIndex.get(pixelId);
  }

  all(): WebsiteSettings[] {
    return this.websites;
  }

  isLoaded(): boolean {
    return this.loaded;
  }

  /** Read the settings once; throws when Odoo cannot be read (the caller decides to retry). */
  async refresh(): Promise<void> {
    const transport = await this.odoo();
    const answer = await transport.call<unknown>('website', 'tiktok_sidecar_settings');
    if (!Array.isArray(answer)) throw new Error('website.tiktok_sidecar_settings() did not return a list');
    const usable: WebsiteSettings[] = [];
    const seen = new Set<string>();
    for (const entry of answer) {
      const parsed = parseWebsiteEntry(entry);
      if (parsed.kind === 'usable') {
        usable.push(parsed.settings);
        continue;
      }
      const key = `website:${parsed.websiteId ?? '?'}`;
      seen.add(key);
      if (this.warned.get(key) !== parsed.reason) {
        this.warned.set(key, parsed.reason);
        this.log.warn({ websiteId: parsed.websiteId, website: parsed.name }, `settings: website skipped: ${parsed.reason}`);
      }
    }
    for (const key of [...this.warned.keys()]) if (!seen.has(key)) this.warned.delete(key);
    const before = summary(this.websites);
    this.websites = usable;
    this.byPixelIndex = indexByPixel(usable);
    this.loaded = true;
    this.consecutiveFailures = 0;
    await this.snapshot?.save(JSON.stringify(usable.map((w) => ({ ...w, accessToken: '' }))), Date.now());
    const after = summary(usable);
    if (before !== after) this.log.info({ websites: usable.map((w) => ({ websiteId: w.websiteId, pixelId: w.pixelId, domains: w.domains })) }, 'settings: loaded from Odoo');
  }

  start(): void {
    const loop = async () => {
      try {
        await this.refresh();
      } catch (err) {
        this.consecutiveFailures += 1;
        const message = (err as Error).message;
        // Loud on the first failure, then quieter: an outage should not flood the log.
        if (this.consecutiveFailures === 1 || this.consecutiveFailures % 10 === 0) {
          this.log.warn({ failures: this.consecutiveFailures, err: message }, 'settings: could not read the TikTok settings from Odoo; keeping the last ones');
        }
      }
      const delay = this.loaded ? this.refreshMs : Math.min(this.refreshMs, 1000 * 2 ** Math.min(this.consecutiveFailures, 5));
      this.timer = setTimeout(() => void loop(), delay);
      this.timer.unref();
    };
    void loop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** What changes the routing, without the token, to log only real changes. */
function summary(websites: WebsiteSettings[]): string {
  return JSON.stringify(websites.map((w) => [w.websiteId, w.pixelId, w.domains, w.eventNames, w.consentRequired, w.testEventCode ?? '', w.accessToken.length]));
}
