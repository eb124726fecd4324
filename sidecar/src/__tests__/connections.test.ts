import http from 'node:http';
import net from 'node:net';
import { BROWSER_UA, relayEvent, SHOP, testSidecar } from '../../../tests/helpers/sidecar';
import { addressGroup } from '../connections';
import { until } from '../../../tests/helpers/until';

/**
 * Connection caps with real sockets on loopback: 127.0.0.0/8 is all loopback on
 * Linux, so a client socket bound to 127.0.0.2 and another bound to 127.0.0.3 are
 * two client addresses for the sidecar.
 */

const OPS_TOKEN = 'ops-token-for-tests-0123456789abcdef';

interface Held {
  sockets: net.Socket[];
  /** Sockets the server closed. */
  closed: () => number;
  /** Answers read, by status line. */
  answers: string[];
  destroy: () => void;
}

/** `count` keep-alive connections from `from`, each after one `GET path`, left open. Resolves once each got an answer or was closed. */
async function holdIdle(port: number, from: string, count: number, path = '/healthz'): Promise<Held> {
  const sockets: net.Socket[] = [];
  const answers: string[] = [];
  let closed = 0;
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
          sockets.push(socket);
          let settled = false;
          const settle = () => (settled ? undefined : ((settled = true), resolve()));
          socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: relay\r\n\r\n`));
          socket.on('data', (chunk) => {
            answers.push(String(chunk).split('\r\n')[0]);
            settle();
          });
          socket.on('error', () => undefined);
          socket.on('close', () => {
            closed += 1;
            settle();
          });
        }),
    ),
  );
  return { sockets, answers, closed: () => closed, destroy: () => sockets.forEach((s) => s.destroy()) };
}

/** A shopper's relay from `from`, on a connection of its own. */
function relayFrom(port: number, from: string): Promise<number> {
  const body = JSON.stringify(relayEvent());
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/tiktok/relay', method: 'POST', localAddress: from, agent: false, headers: { 'Content-Type': 'text/plain', Origin: SHOP, 'User-Agent': BROWSER_UA, 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function getFrom(port: number, from: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, localAddress: from, agent: false, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}


describe('connection caps, with real sockets', () => {
  let sidecar: ReturnType<typeof testSidecar>;
  const held: Held[] = [];
  afterEach(async () => {
    held.splice(0).forEach((h) => h.destroy());
    await sidecar.stop();
  });

  async function start(env: Record<string, string>): Promise<number> {
    sidecar = testSidecar({ env: { RELAY_RATE_LIMIT_PER_MINUTE: '0', RELAY_RATE_LIMIT_EVENTS_PER_MINUTE: '0', OPS_TOKEN, ...env } });
    return sidecar.start();
  }

  it('one address holding hundreds of idle keep-alive sockets keeps only its share, and shoppers from elsewhere are served', async () => {
    const port = await start({ RELAY_MAX_CONNECTIONS_PER_IP: '20', OPS_RATE_LIMIT_PER_MINUTE: '0' });
    const attacker = await holdIdle(port, '127.0.0.2', 300);
    held.push(attacker);
    await until(() => attacker.sockets.filter((s) => !s.destroyed).length <= 20);
    expect(attacker.sockets.filter((s) => !s.destroyed).length).toBe(20);
    const statuses = await Promise.all(Array.from({ length: 5 }, () => relayFrom(port, '127.0.0.3')));
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    expect((await sidecar.outbox.events.counts()).pending).toBe(5);
    // The same address still gets answers: each new connection closes one of its own idle ones.
    expect(await relayFrom(port, '127.0.0.2')).toBe(202);
    expect(await sidecar.metrics.registry.metrics()).toMatch(/tiktok_connections_shed_total\{listener="relay",reason="address_cap",closed="idle"\} \d+/);
  });

  it('many addresses together keep the listener under its overall cap, and a shopper still gets in', async () => {
    const port = await start({ RELAY_MAX_CONNECTIONS: '50', RELAY_MAX_CONNECTIONS_PER_IP: '10', OPS_RATE_LIMIT_PER_MINUTE: '0' });
    for (let i = 10; i < 20; i++) held.push(await holdIdle(port, `127.0.0.${i}`, 10));
    const open = () => held.flatMap((h) => h.sockets).filter((s) => !s.destroyed).length;
    await until(() => open() <= 50);
    expect(open()).toBe(50);
    expect(await relayFrom(port, '127.0.0.3')).toBe(202);
    expect(open()).toBeLessThanOrEqual(49);
  });

  it('closes the newcomer only when every connection is busy', async () => {
    const port = await start({ RELAY_MAX_CONNECTIONS: '3', RELAY_MAX_CONNECTIONS_PER_IP: '3', RELAY_BODY_TIMEOUT_MS: '3000' });
    // Three relays whose bodies never come: busy until their body deadline.
    const busy = Array.from({ length: 3 }, () => {
      const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.4' });
      socket.on('error', () => undefined);
      socket.write(`POST /tiktok/relay HTTP/1.1\r\nHost: relay\r\nContent-Type: text/plain\r\nOrigin: ${SHOP}\r\nUser-Agent: ${BROWSER_UA}\r\nContent-Length: 100\r\n\r\n`);
      return socket;
    });
    held.push({ sockets: busy, answers: [], closed: () => 0, destroy: () => busy.forEach((s) => s.destroy()) });
    await new Promise((r) => setTimeout(r, 200));
    await expect(relayFrom(port, '127.0.0.5')).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(busy.every((s) => !s.destroyed)).toBe(true);
  });

  it('does not cap a trusted proxy by address: every shopper comes through it', async () => {
    const port = await start({ RELAY_MAX_CONNECTIONS_PER_IP: '5', TRUST_PROXY: '127.0.0.6', OPS_RATE_LIMIT_PER_MINUTE: '0' });
    const proxy = await holdIdle(port, '127.0.0.6', 30);
    held.push(proxy);
    await new Promise((r) => setTimeout(r, 100));
    expect(proxy.sockets.filter((s) => !s.destroyed)).toHaveLength(30);
  });

  it('/healthz without the token has a budget per address; with the token, and from another address, it answers', async () => {
    const port = await start({ OPS_RATE_LIMIT_PER_MINUTE: '10' });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push(await getFrom(port, '127.0.0.7', '/healthz'));
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429, 429]);
    expect(await getFrom(port, '127.0.0.7', '/metrics')).toBe(429);
    expect(await getFrom(port, '127.0.0.7', '/healthz', { Authorization: `Bearer ${OPS_TOKEN}` })).toBe(200);
    expect(await getFrom(port, '127.0.0.8', '/healthz')).toBe(200);
    // The relay has budgets of its own: it is not counted here.
    expect(await relayFrom(port, '127.0.0.7')).toBe(202);
  });
});

describe('addressGroup', () => {
  it('counts an IPv4 address as itself, also IPv4-mapped, and an IPv6 address by its /64', () => {
    expect(addressGroup('203.0.113.7')).toBe('203.0.113.7');
    expect(addressGroup('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressGroup('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressGroup(undefined)).toBe('unknown');
  });
});
