import ipaddr from 'ipaddr.js';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How many connections a listener holds. An idle keep-alive connection costs a
 * file descriptor and buffers for as long as the keep-alive lasts (65 s): one
 * client holding thousands of them would leave none for the shoppers.
 */
export interface ConnectionLimits {
  /** Connections open at once on the listener. */
  maxConnections: number;
  /** Connections from one client address (a whole IPv6 /64 counts as one address). */
  maxPerAddress: number;
  /** Peers the per-address cap does not apply to: a trusted proxy carries every shopper's connection. */
  exempt?: (address: string) => boolean;
}

/** Why a connection was closed by the guard, for the metric and the log. */
export type ConnectionShed = 'address_cap' | 'total_cap';

export interface ConnectionGuardEvents {
  /** A connection was closed to keep a cap: an idle one to make room (`evicted`), or the newcomer when none was idle. */
  onShed?: (why: ConnectionShed, evicted: boolean) => void;
}

/**
 * The client a connection counts against: an IPv4 address as it is (also when
 * written IPv4-mapped), an IPv6 address by its /64, which one household or one
 * attacker's machine gets whole.
 */
export function addressGroup(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return address ?? 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${(parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
}

interface Tracked {
  socket: Socket;
  group: string;
  /** Requests being read or answered on it. */
  active: number;
}

/**
 * Caps the connections of an HTTP listener, overall and per client address. At a
 * cap the connection idle the longest (a kept-alive or a silent one, of that
 * address for the per-address cap) is closed to make room for the newcomer: a
 * client with thousands of idle sockets only ever holds its share, and a shopper
 * arriving while the listener is full is served. Only when every connection is
 * busy is the newcomer itself closed. Returns how many connections it holds.
 */
export function guardConnections(server: Server, limits: ConnectionLimits, events: ConnectionGuardEvents = {}): () => number {
  const tracked = new Map<Socket, Tracked>();
  /** Idle connections, longest idle first (a Set keeps insertion order). */
  const idle = new Set<Tracked>();
  const byGroup = new Map<string, { all: number; idle: Set<Tracked> }>();

  const groupOf = (name: string) => {
    let group = byGroup.get(name);
    if (!group) byGroup.set(name, (group = { all: 0, idle: new Set() }));
    return group;
  };
  const becomeIdle = (t: Tracked) => {
    idle.add(t);
    groupOf(t.group).idle.add(t);
  };
  const becomeBusy = (t: Tracked) => {
    idle.delete(t);
    byGroup.get(t.group)?.idle.delete(t);
  };
  /** Forget a connection at once (closed, or being closed by the guard): it no longer counts. */
  const untrack = (t: Tracked) => {
    if (!tracked.delete(t.socket)) return;
    becomeBusy(t);
    const group = byGroup.get(t.group);
    if (group && --group.all === 0) byGroup.delete(t.group);
  };

  /** Close the longest-idle connection of `pool`; false when none is idle. */
  const evict = (pool: Set<Tracked>): boolean => {
    const victim: Tracked | undefined = pool.values().next().value;
    if (!victim) return false;
    untrack(victim);
    victim.socket.destroy();
    return true;
  };

  server.on('connection', (socket: Socket) => {
    const group = addressGroup(socket.remoteAddress);
    const capped = !limits.exempt?.(socket.remoteAddress ?? '');
    if (capped && (byGroup.get(group)?.all ?? 0) >= limits.maxPerAddress) {
      const evicted = evict(groupOf(group).idle);
      events.onShed?.('address_cap', evicted);
      if (!evicted) return void socket.destroy();
    }
    if (tracked.size >= limits.maxConnections) {
      const evicted = evict(idle);
      events.onShed?.('total_cap', evicted);
      if (!evicted) return void socket.destroy();
    }
    const t: Tracked = { socket, group, active: 0 };
    tracked.set(socket, t);
    groupOf(group).all += 1;
    becomeIdle(t);
    socket.once('close', () => untrack(t));
  });

  server.on('request', (req, res) => {
    const t = tracked.get(req.socket);
    if (!t) return;
    t.active += 1;
    becomeBusy(t);
    res.once('close', () => {
      t.active -= 1;
      // Idle again, now: the end of the line of connections to close first.
      if (t.active === 0 && tracked.has(t.socket) && !t.socket.destroyed) becomeIdle(t);
    });
  });

  return () => tracked.size;
}
