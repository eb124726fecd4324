import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startFakeEventsApi, type FakeEventsApi, type RecordedRequest } from '../support/fakeEventsApi';
import { exited, freePort, OPS_AUTH, spawnSidecar, waitForHttp } from '../helpers/process';
import { BROWSER_UA, PIXEL, relayEvent, SHOP } from '../helpers/sidecar';

const TOKEN = 'test-access-token-0001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sidecar gives up on an Events API call after this long... */
const CLIENT_TIMEOUT_MS = 1000;
/** ...so every slow answer of the fake is a real timeout, and a held batch stays on the wire this long. */
const SLOW_MS = 1500;
/** Kills of these rounds wait until a batch is on the wire; the others land wherever the traffic is. */
const ROUNDS = 4;
const KILL_ON_THE_WIRE = new Set([1, 3]);

/**
 * A batch on the wire: the fake consumed a slow fault for it and has not answered,
 * and the sidecar is still waiting for that answer (its timeout has not passed).
 */
function awaitingAnswer(r: RecordedRequest, now: number): boolean {
  return r.fault === 'slow' && r.answeredAt === undefined && !r.clientGone && now - r.at < CLIENT_TIMEOUT_MS - 200;
}

interface OutboxRowState {
  event_id: string;
  state: string;
}

/**
 * The sidecar is killed with SIGKILL several times while events stream in, twice
 * while a batch is provably on the wire, against a fake Events API that fails 30% of
 * calls (40100, 5xx, timeouts, dropped connections). After the last restart and a
 * graceful stop, the outbox file itself must hold every accepted event as delivered
 * and nothing pending or in flight, and the fake must have every accepted id and no
 * other.
 */
describe('durability under SIGKILL and a failing Events API', () => {
  let api: FakeEventsApi;
  let dir: string;
  let child: ChildProcess | undefined;
  const output: string[] = [];

  beforeAll(async () => {
    api = await startFakeEventsApi({ tokens: { [PIXEL]: TOKEN }, faultRate: 0.3, slowMs: SLOW_MS, seed: 7 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durability-'));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loses no accepted event', async () => {
    const port = await freePort();
    const outboxPath = path.join(dir, 'outbox.sqlite');
    const env = {
      RELAY_PORT: String(port),
      OUTBOX_PATH: outboxPath,
      TIKTOK_PIXEL_ID: PIXEL,
      TIKTOK_ACCESS_TOKEN: TOKEN,
      TIKTOK_API_BASE_URL: api.baseUrl,
      TIKTOK_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      RELAY_ALLOWED_ORIGINS: SHOP,
      RELAY_RATE_LIMIT_PER_MINUTE: '0',
      RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '0',
      DISPATCH_LINGER_MS: '50',
      RETRY_BASE_MS: '50',
      RETRY_MAX_MS: '400',
    };
    const sidecarUrl = `http://127.0.0.1:${port}`;
    const accepted = new Set<string>();
    const produced = new Set<string>();
    let producing = true;
    let seq = 0;

    const producer = async (lane: number) => {
      while (producing) {
        const events = Array.from({ length: 5 }, () => relayEvent({ event_id: `d-${lane}-${seq++}` }));
        events.forEach((e) => produced.add(e.event_id as string));
        try {
          const res = await fetch(`${sidecarUrl}/tiktok/relay`, {
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
      child = spawnSidecar(env, output, { bundled: true });
      await waitForHttp(`${sidecarUrl}/healthz`);
    };
    const kill = async () => {
      child!.kill('SIGKILL');
      await exited(child!);
    };
    const waitForBatchOnTheWire = async (timeoutMs: number): Promise<RecordedRequest[]> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const onTheWire = api.requests.filter((r) => awaitingAnswer(r, Date.now()));
        if (onTheWire.length > 0 || Date.now() > deadline) return onTheWire;
        await sleep(2);
      }
    };

    await startSidecar();
    const producers = [0, 1, 2].map((lane) => producer(lane));
    /** Per round: the requests still waiting for their answer when SIGKILL was sent. */
    const killedOnTheWire: RecordedRequest[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(500 + round * 100);
      if (KILL_ON_THE_WIRE.has(round)) api.enqueueFaults('slow', 1);
      const onTheWire = KILL_ON_THE_WIRE.has(round) ? await waitForBatchOnTheWire(3000) : [];
      // No await between the look and the signal: what was on the wire is what the kill cut.
      killedOnTheWire.push(onTheWire);
      await kill();
      await sleep(100);
      await startSidecar();
    }
    await sleep(500);
    producing = false;
    await Promise.all(producers);
    api.setFaultRate(0);

    // Settled: TikTok has every accepted id and the outbox holds nothing waiting.
    const deliveredIds = new Set<string>();
    let seen = 0;
    const settled = async (): Promise<boolean> => {
      for (; seen < api.delivered.length; seen++) deliveredIds.add(api.delivered[seen].row.event_id as string);
      if ([...accepted].some((id) => !deliveredIds.has(id))) return false;
      const health = (await (await fetch(`${sidecarUrl}/healthz`, { headers: OPS_AUTH })).json()) as { outbox: Record<string, number> };
      return health.outbox.pending === 0 && health.outbox.in_flight === 0;
    };
    const deadline = Date.now() + 20_000;
    while (!(await settled()) && Date.now() < deadline) await sleep(100);

    child!.kill('SIGTERM');
    expect(await exited(child!)).toBe(0);

    // The outbox file itself, read after the graceful stop.
    const db = new Database(outboxPath, { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT event_id, state FROM outbox').all() as OutboxRowState[];
    db.close();
    const stateOf = new Map(rows.map((r) => [r.event_id, r.state]));
    const countOf = (state: string) => rows.filter((r) => r.state === state).length;

    expect(accepted.size).toBeGreaterThan(500);
    expect({ pending: countOf('pending'), in_flight: countOf('in_flight'), dead: countOf('dead') }).toEqual({ pending: 0, in_flight: 0, dead: 0 });
    expect([...accepted].filter((id) => stateOf.get(id) !== 'delivered')).toEqual([]);
    expect(rows.filter((r) => !produced.has(r.event_id))).toEqual([]);

    // What TikTok got: every accepted id, and no id a browser did not produce.
    expect([...accepted].filter((id) => !deliveredIds.has(id))).toEqual([]);
    expect([...deliveredIds].filter((id) => !produced.has(id))).toEqual([]);

    // The kills were real: a batch was held unanswered at the fake at the moment of the
    // signal, and the fake counted none of its rows, so only a resend could deliver them.
    const rounds = killedOnTheWire.map((requests, round) => ({ round, onTheWire: requests.length > 0 }));
    expect(rounds.filter((r) => r.onTheWire).map((r) => r.round)).toEqual([...KILL_ON_THE_WIRE]);
    const cut = killedOnTheWire.flat();
    expect(cut.map((r) => ({ rows: r.rows > 0, clientGone: r.clientGone, answeredAt: r.answeredAt }))).toEqual(
      cut.map(() => ({ rows: true, clientGone: true, answeredAt: undefined })),
    );
  }, 60_000);
});
