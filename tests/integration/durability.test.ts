import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startFakeEventsApi, type FakeEventsApi } from '../support/fakeEventsApi';
import { exited, freePort, spawnSidecar, waitForHttp } from '../helpers/process';
import { BROWSER_UA, PIXEL, relayEvent, SHOP } from '../helpers/sidecar';

const TOKEN = 'test-access-token-0001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The sidecar is killed with SIGKILL several times while events stream in and while
 * batches are in flight at a fake Events API that fails 30% of calls. After the last
 * restart every event the relay accepted (answered 202) must reach the fake.
 */
describe('durability under SIGKILL and a failing Events API', () => {
  let api: FakeEventsApi;
  let dir: string;
  let child: ChildProcess | undefined;
  const output: string[] = [];

  beforeAll(async () => {
    api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN }, faultRate: 0.3, slowMs: 400, seed: 7 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durability-'));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses no accepted event', async () => {
    const port = await freePort();
    const env = {
      RELAY_PORT: String(port),
      OUTBOX_PATH: path.join(dir, 'outbox.sqlite'),
      TIKTOK_PIXEL_ID: PIXEL,
      TIKTOK_ACCESS_TOKEN: TOKEN,
      TIKTOK_API_BASE_URL: api.baseUrl,
      TIKTOK_TIMEOUT_MS: '1000',
      RELAY_ALLOWED_ORIGINS: SHOP,
      RELAY_RATE_LIMIT_PER_MINUTE: '0',
      DISPATCH_LINGER_MS: '50',
      RETRY_BASE_MS: '50',
      RETRY_MAX_MS: '400',
    };
    const relayUrl = `http://127.0.0.1:${port}/tiktok/relay`;
    const accepted = new Set<string>();
    const produced = new Set<string>();
    let producing = true;
    let seq = 0;

    const producer = async (lane: number) => {
      while (producing) {
        const events = Array.from({ length: 5 }, () => relayEvent({ event_id: `d-${lane}-${seq++}` }));
        events.forEach((e) => produced.add(e.event_id as string));
        try {
          const res = await fetch(relayUrl, {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA },
            body: JSON.stringify(events),
          });
          if (res.status === 202) events.forEach((e) => accepted.add(e.event_id as string));
          else await sleep(20);
        } catch {
          await sleep(20); // sidecar down: the browser's beacon would be lost too, and it was never accepted
        }
      }
    };

    const startSidecar = async () => {
      child = spawnSidecar(env, output);
      await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    };
    const kill = async () => {
      child!.kill('SIGKILL');
      await exited(child!);
    };

    await startSidecar();
    const producers = [0, 1, 2].map((lane) => producer(lane));
    let killedInFlight = 0;
    for (let round = 0; round < 4; round++) {
      await sleep(600 + round * 150);
      if (round % 2 === 1) {
        // Kill while a batch is on the wire: the fake holds the next answer.
        api.enqueueFaults('slow', 2);
        const before = api.requests.length;
        const deadline = Date.now() + 3000;
        while (api.requests.length === before && Date.now() < deadline) await sleep(5);
        killedInFlight += 1;
      }
      await kill();
      await sleep(100);
      await startSidecar();
    }
    await sleep(500);
    producing = false;
    await Promise.all(producers);
    api.setFaultRate(0);

    const deadline = Date.now() + 30_000;
    const delivered = () => new Set(api.delivered.map((d) => d.row.event_id as string));
    while ([...accepted].some((id) => !delivered().has(id)) && Date.now() < deadline) await sleep(100);

    const missing = [...accepted].filter((id) => !delivered().has(id));
    expect(accepted.size).toBeGreaterThan(500);
    expect(killedInFlight).toBe(2);
    expect(missing).toEqual([]);
    // No invented ids: everything TikTok got was produced by a browser.
    expect([...delivered()].filter((id) => !produced.has(id))).toEqual([]);
    child!.kill('SIGTERM');
    expect(await exited(child!)).toBe(0);
  }, 120_000);
});
