/**
 * Several sidecar replicas behind nginx on loopback, on one outbox engine: the
 * machinery of the chaos run (scripts/chaos/replicas.ts) and of the replicas
 * benchmark (scripts/bench/replicas.ts). Everything lives in one temporary
 * directory (nginx's pid, logs and temp files included), so no root is needed.
 *
 * The engine is one option: `sqlite` gives each replica a file of its own,
 * `postgres` gives all of them one fresh database (OUTBOX_URL) where any replica
 * delivers any row.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EnvSchema } from '../../sidecar/src/config';
import type { OutboxState } from '../../sidecar/src/outbox/eventQueue';
import { exited, freePort, OPS_AUTH, spawnSidecar, waitForHttp } from '../../tests/helpers/process';
import { relayOnlyEnv } from '../bench/load';

export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];
export const RELAY_PATH = '/tiktok/relay';
export const NGINX = '/usr/sbin/nginx';
const PG_SERVER = process.env.CHAOS_PG_SERVER ?? 'postgres://odoo:odoo@localhost:5432';

/** Where the replicas keep their outbox, and whether a row stored by one can be delivered by another. */
export interface OutboxStore {
  engine: Engine;
  /** One outbox for every replica (postgres): a replica that dies leaves nothing behind. */
  shared: boolean;
  envFor(replicaId: string): Record<string, string>;
  /** The event_ids in these states in the outbox a replica writes (the replica's file, or the shared database), read from the store itself. */
  eventIds(replicaId: string, states: readonly OutboxState[]): string[];
  dispose(): void;
}

const quoted = (states: readonly OutboxState[]) => states.map((s) => `'${s}'`).join(', ');

export function parseEngine(value: string | undefined): Engine {
  const engine = value ?? 'sqlite';
  if (!(ENGINES as readonly string[]).includes(engine)) throw new Error(`--engine takes one of: ${ENGINES.join(', ')} (got "${engine}")`);
  return engine as Engine;
}

/** Why this machine cannot run the engine, or undefined. */
export function engineUnavailableReason(engine: Engine): string | undefined {
  if (!fs.existsSync(NGINX)) return `nginx is not installed (${NGINX}; apt-get install nginx)`;
  if (engine === 'postgres' && !('OUTBOX_URL' in EnvSchema.shape)) return 'this checkout of the sidecar has no PostgreSQL outbox (no OUTBOX_URL setting)';
  if (engine === 'postgres' && psql('postgres', 'SELECT 1').status !== 0) return `PostgreSQL does not answer at ${PG_SERVER}`;
  return undefined;
}

function psql(db: string, sql: string): ReturnType<typeof spawnSync> {
  return spawnSync('psql', [`${PG_SERVER}/${db}`, '-v', 'ON_ERROR_STOP=1', '-Atc', sql], { encoding: 'utf8' });
}

export function createStore(engine: Engine, dir: string, extraEnv: Record<string, string> = {}): OutboxStore {
  if (engine === 'sqlite') {
    const fileOf = (replicaId: string) => path.join(dir, `outbox-${replicaId}.sqlite`);
    const eventIds = (replicaId: string, states: readonly OutboxState[]) => {
      // WAL: reading beside a running (or killed) replica is safe.
      const db = new Database(fileOf(replicaId));
      try {
        return (db.prepare(`SELECT event_id AS id FROM outbox WHERE state IN (${quoted(states)})`).all() as Array<{ id: string }>).map((r) => r.id);
      } finally {
        db.close();
      }
    };
    return { engine, shared: false, envFor: (id) => ({ OUTBOX_PATH: fileOf(id), ...extraEnv }), eventIds, dispose: () => undefined };
  }
  // A database of its own, named after this process: created here, dropped here, nothing else touched.
  const db = `tiktok_chaos_${process.pid}_${Date.now()}`;
  const created = psql('postgres', `CREATE DATABASE ${db}`);
  if (created.status !== 0) throw new Error(`could not create database ${db}: ${String(created.stderr)}`);
  return {
    engine,
    shared: true,
    envFor: () => ({ OUTBOX_URL: `${PG_SERVER}/${db}`, ...extraEnv }),
    eventIds: (_replicaId, states) => {
      const result = psql(db, `SELECT event_id FROM outbox WHERE state IN (${quoted(states)})`);
      if (result.status !== 0) throw new Error(`could not read the outbox of ${db}: ${String(result.stderr)}`);
      return String(result.stdout).split('\n').filter(Boolean);
    },
    dispose: () => void psql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`),
  };
}

export interface Replica {
  id: string;
  port: number;
  child: ChildProcess;
  output: string[];
}

/** One compiled sidecar in relay-only mode, with its metrics open on the relay port (the test ops token). */
export interface ReplicaOptions {
  /** The same port again for a replica that restarts behind nginx. */
  port?: number;
  /** `bundled` (tests: one esbuild bundle, no build step) or `compiled` (npm run build:sidecar, as in production). */
  build?: 'compiled' | 'bundled';
  env?: Record<string, string>;
}

export async function startReplica(store: OutboxStore, fakeUrl: string, id: string, opts: ReplicaOptions = {}): Promise<Replica> {
  const relayPort = opts.port ?? (await freePort());
  const output: string[] = [];
  const child = spawnSidecar(
    {
      ...relayOnlyEnv(fakeUrl),
      RELAY_PORT: String(relayPort),
      SIDECAR_REPLICA_ID: id,
      TRUST_PROXY: 'loopback',
      ...store.envFor(id),
      ...opts.env,
    },
    output,
    opts.build === 'bundled' ? { bundled: true } : { compiled: true },
  );
  await waitForHttp(`http://127.0.0.1:${relayPort}/healthz`, 30_000);
  return { id, port: relayPort, child, output };
}

export async function stopReplica(replica: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  replica.child.kill(signal);
  await exited(replica.child);
}

/**
 * nginx.conf for the relays of `ports`, all paths inside `dir`. `retryPost`
 * adds `non_idempotent` to proxy_next_upstream: a relay POST whose replica died
 * after receiving it is sent to another. Only safe on a shared outbox, where the
 * (pixel, event, event_id) key absorbs the second copy if the first was stored;
 * on separate SQLite files both copies would be stored and delivered. Without
 * it nginx still moves a POST on when the connection was refused or failed
 * before the request was sent (a replica that is down), which is always safe.
 */
export function nginxConfig(opts: { dir: string; listenPort: number; ports: number[]; retryPost: boolean; user?: string }): string {
  const p = (name: string) => path.join(opts.dir, name);
  return `${opts.user ? `user ${opts.user};\n` : ''}worker_processes 1;
daemon off;
pid ${p('nginx.pid')};
error_log ${p('nginx-error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${p('nginx-body')};
  proxy_temp_path ${p('nginx-proxy')};
  fastcgi_temp_path ${p('nginx-fastcgi')};
  uwsgi_temp_path ${p('nginx-uwsgi')};
  scgi_temp_path ${p('nginx-scgi')};
  upstream relays {
${opts.ports.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=2s;`).join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${opts.listenPort};
    location = ${RELAY_PATH} {
      proxy_pass http://relays;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_connect_timeout 2s;
      proxy_next_upstream error timeout${opts.retryPost ? ' non_idempotent' : ''};
    }
  }
}
`;
}

export interface Nginx {
  port: number;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/** nginx in the foreground (a child of this process) with a generated configuration in `dir`. */
export async function startNginx(dir: string, ports: number[], retryPost: boolean): Promise<Nginx> {
  const listenPort = await freePort();
  // As root nginx would hand its workers to `nobody`, who cannot enter the temp dir: keep the invoking user.
  const user = process.getuid?.() === 0 ? os.userInfo().username : undefined;
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, nginxConfig({ dir, listenPort, ports, retryPost, user }));
  const test = spawnSync(NGINX, ['-p', dir, '-c', conf, '-t'], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx refused its configuration:\n${test.stderr}`);
  const child = spawn(NGINX, ['-p', dir, '-c', conf], { stdio: 'ignore' });
  await waitForListening(listenPort);
  return {
    port: listenPort,
    child,
    stop: async () => {
      child.kill('SIGQUIT');
      await exited(child);
    },
  };
}

async function waitForListening(port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    // Any HTTP answer (nginx answers 404 off the relay path) means it listens.
    const up = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (up) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The Prometheus text of a replica's /metrics, or undefined when it does not answer (down, stopping). */
export async function scrape(replica: Replica): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${replica.port}/metrics`, { headers: OPS_AUTH, signal: AbortSignal.timeout(5000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** The value of one sample in Prometheus text (`labels` must all match), 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return 0;
}
