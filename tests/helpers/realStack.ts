/**
 * The stack of the real-Odoo suites: a shop (a clone of the template served by
 * Odoo 19, see startShop), the fake Events API taking the website's token for
 * its pixel and event sets, and sidecars as child processes in Odoo mode, each
 * with its own outbox in one temporary folder. `stop()` undoes all of it.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeEventsApi, type FakeEventsApi } from '../support/fakeEventsApi';
import { sidecarEnvFor, startShop, type OdooShop } from './odooShop';
import { exited, freePort, spawnSidecar, waitForHttp } from './process';

export interface RealStackOptions {
  /** Short name: the database is <name>_<pid>, the folder of the outboxes <name>-*. */
  name: string;
  pixelId: string;
  token: string;
  /** Event sets (CRM, offline) the website's token sends as well. */
  eventSets?: string[];
  /** The sidecars' POLL_INTERVAL_SECONDS. */
  pollSeconds: number;
}

export interface RealStack {
  shop: OdooShop;
  api: FakeEventsApi;
  /** A sidecar whose outbox is `<outbox>.sqlite`, once it answers; its output never carries the key (checked when it exits). */
  sidecar(outbox: string, env?: Record<string, string>): Promise<ChildProcess>;
  /** A command of the bundled sidecar on outbox `<outbox>.sqlite`; its output, once it exited successfully. */
  command(outbox: string, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Quick retries and settings refreshes: the suites wait seconds, not minutes. */
const TEST_PACE = { SETTINGS_REFRESH_SECONDS: '5', DISPATCH_LINGER_MS: '50', RETRY_BASE_MS: '100' };

export async function startRealStack({ name, pixelId, token, eventSets = [], pollSeconds }: RealStackOptions): Promise<RealStack> {
  const api = await startFakeEventsApi({ tokens: Object.fromEntries([pixelId, ...eventSets].map((id) => [id, token])) });
  const shop = await startShop(name, { pixelId, token }).catch(async (err: unknown) => {
    await api.close();
    throw err;
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const children: ChildProcess[] = [];
  const envFor = (port: number, outbox: string) => ({
    ...sidecarEnvFor(shop, { port, outboxPath: path.join(dir, `${outbox}.sqlite`), eventsApiUrl: api.baseUrl, pollSeconds }),
    ...TEST_PACE,
  });
  function spawn(env: Record<string, string>, output: string[], options?: Parameters<typeof spawnSidecar>[2]): ChildProcess {
    const child = spawnSidecar(env, output, options);
    children.push(child);
    // The key never reaches the sidecar's output.
    child.on('exit', () => expect(output.join('')).not.toContain(shop.sidecarApiKey));
    return child;
  }
  return {
    shop,
    api,
    async sidecar(outbox, env = {}) {
      const port = await freePort();
      const child = spawn({ ...envFor(port, outbox), ...env }, []);
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      return child;
    },
    async command(outbox, ...args) {
      const output: string[] = [];
      const child = spawn(envFor(await freePort(), outbox), output, { bundled: true, command: args });
      expect(await exited(child)).toBe(0);
      return output.join('');
    },
    async stop() {
      for (const child of children) child.kill('SIGKILL');
      await api.close();
      await shop.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `check()` holds; fails after `timeoutMs` naming `what`. */
export { until } from './until';
