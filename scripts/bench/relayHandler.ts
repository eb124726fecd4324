/**
 * The relay's own work per request, without sockets, outbox or load generator:
 * the handler driven in process with a browser's request (origin, beacon body,
 * one AddToCart), its outbox a stub that stores nothing. It counts the CPU the
 * process spends per request, which a busy neighbour on a shared machine moves
 * far less than the requests/s of `bench:relay`; run it on two builds back to
 * back to compare them.
 *
 *   npx ts-node --transpile-only scripts/bench/relayHandler.ts [--requests 20000] [--rounds 5]
 */
import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { Metrics } from '../../sidecar/src/metrics';
import { createRelayHandler, type RelayOptions } from '../../sidecar/src/relay/handler';
import { StaticSettings } from '../../sidecar/src/settings/static';
import { website, PIXEL, SHOP, BROWSER_UA } from '../../tests/helpers/sidecar';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const OPTS: RelayOptions = {
  path: '/tiktok/relay',
  maxBodyBytes: 65536,
  rateLimitPerMinute: 0,
  rateLimitEventsPerMinute: 0,
  bodyTimeoutMs: 10_000,
  limits: { value: 1e9, price: 1e9, quantity: 1e4 },
  maxWaitingPerPixel: 0,
  extraAllowedOrigins: [],
  trustProxy: false,
};

const body = (n: number) =>
  JSON.stringify({
    pixel_id: PIXEL,
    event: 'AddToCart',
    event_id: `bench-${n}`,
    page: { url: `${SHOP}/shop/desk-23` },
    user: { ttp: '2BenchTtpCookie0000000001', email: 'a'.repeat(64) },
    properties: { contents: [{ content_id: '23', content_type: 'product', content_name: 'Desk', price: 675, quantity: 1 }], currency: 'USD', value: 675 },
  });

/** A request as Node hands it over: a readable body, headers, the peer's address. */
function browserRequest(text: string): IncomingMessage {
  const req = Readable.from([Buffer.from(text)]) as unknown as IncomingMessage;
  Object.assign(req, {
    method: 'POST',
    url: '/tiktok/relay',
    headers: { origin: SHOP, 'user-agent': BROWSER_UA, 'content-type': 'text/plain;charset=UTF-8', 'content-length': String(Buffer.byteLength(text)) },
    socket: { remoteAddress: '203.0.113.9' },
    connection: { remoteAddress: '203.0.113.9' },
  });
  return req;
}

/** Just what the handler (and cors) call on a response; resolves with the status once ended. */
function answer(): { res: ServerResponse; done: Promise<number> } {
  const headers = new Map<string, unknown>();
  let status = 200;
  let resolve: (status: number) => void = () => {};
  const done = new Promise<number>((r) => (resolve = r));
  const res = {
    headersSent: false,
    writableEnded: false,
    statusCode: 200,
    setHeader: (k: string, v: unknown) => headers.set(k.toLowerCase(), v),
    getHeader: (k: string) => headers.get(k.toLowerCase()),
    writeHead(s: number) {
      status = s;
      return res;
    },
    end() {
      resolve(status);
      return res;
    },
  };
  return { res: res as unknown as ServerResponse, done };
}

async function main(): Promise<void> {
  const requests = arg('requests', 20_000);
  const rounds = arg('rounds', 5);
  const variants: [string, RelayOptions][] = [
    ['rate limits off (bench:relay)', OPTS],
    ['rate limits on (production), never reached', { ...OPTS, rateLimitPerMinute: 1e12, rateLimitEventsPerMinute: 1e12 }],
  ];
  for (const [name, opts] of variants) {
    const handler = createRelayHandler(
      { settings: new StaticSettings([website()]), enqueue: async (events) => ({ inserted: events.length, duplicates: 0 }), metrics: new Metrics(), log: pino({ level: 'silent' }), isAccepting: () => true },
      opts,
    );
    const texts = Array.from({ length: requests }, (_, i) => body(i));
    const perRequest: number[] = [];
    for (let round = 0; round <= rounds; round += 1) {
      const cpu = process.cpuUsage();
      for (const text of texts) {
        const { res, done } = answer();
        handler(browserRequest(text), res);
        if ((await done) !== 202) throw new Error('the relay did not accept the benchmark event');
      }
      const used = process.cpuUsage(cpu);
      // Round 0 warms the JIT up and is not counted.
      if (round > 0) perRequest.push((used.user + used.system) / requests);
    }
    perRequest.sort((a, b) => a - b);
    console.log(`${name}: CPU per request, median of ${rounds} rounds of ${requests}: ${perRequest[Math.floor(rounds / 2)].toFixed(1)} µs (best ${perRequest[0].toFixed(1)} µs)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
