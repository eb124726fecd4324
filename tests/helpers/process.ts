import { spawn, type ChildProcess } from 'node:child_process';
import { buildSync } from 'esbuild';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * V8 limits the production sidecar runs with (Dockerfile, npm start): a smaller young
 * generation and a capped old space keep its memory flat under load at little CPU cost.
 */
export const SIDECAR_NODE_FLAGS = ['--max-old-space-size=128', '--max-semi-space-size=4'];

/** Every test sidecar gets this operations token: its /healthz details and /metrics need it. */
export const TEST_OPS_TOKEN = 'test-ops-token-0123456789abcdef-0123';
export const OPS_AUTH = { Authorization: `Bearer ${TEST_OPS_TOKEN}` } as const;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let bundle: string | undefined;

/** The one dependency esbuild cannot inline (a native addon), and what it loads at run time. */
const NATIVE_PACKAGES: Record<string, string[]> = {
  'better-sqlite3': ['package.json', 'lib', 'build/Release/better_sqlite3.node'],
  bindings: ['package.json', 'bindings.js'],
  'file-uri-to-path': ['package.json', 'index.js'],
};

/**
 * The sidecar's sources and dependencies in one CommonJS file (esbuild), next to a
 * copy of its native SQLite addon, built once per test process in a directory of
 * its own that every user may read: it starts in a fraction of the time ts-node
 * needs to load TypeScript, which matters to a test that restarts it often, and it
 * runs as another user wherever the checkout sits (a checkout under a directory
 * only its owner may enter is out of that user's reach).
 */
function sidecarBundle(): string {
  if (bundle) return bundle;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidecar-bundle-'));
  fs.chmodSync(dir, 0o755);
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, files] of Object.entries(NATIVE_PACKAGES)) {
    for (const file of files) {
      const target = path.join(dir, 'node_modules', name, file);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
      fs.cpSync(path.join(REPO_ROOT, 'node_modules', name, file), target, { recursive: true });
    }
  }
  const outfile = path.join(dir, 'cli.js');
  buildSync({
    entryPoints: [path.join(REPO_ROOT, 'sidecar/src/cli.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: Object.keys(NATIVE_PACKAGES),
    logLevel: 'error',
  });
  bundle = outfile;
  return bundle;
}

/**
 * The sidecar as a real child process: from TypeScript through ts-node (tests), from
 * a bundle of the same sources (tests that restart it many times), or compiled by
 * `npm run build:sidecar` as in production (benchmarks: ts-node's compiler would add
 * its own memory to the measured RSS).
 */
export function spawnSidecar(
  env: Record<string, string>,
  output: string[] = [],
  opts: { compiled?: boolean; bundled?: boolean; user?: { uid: number; gid: number }; command?: string[]; nodeFlags?: string[] } = {},
): ChildProcess {
  const command = opts.command ?? ['serve'];
  const entry = opts.compiled
    ? [...SIDECAR_NODE_FLAGS, ...(opts.nodeFlags ?? []), path.join(REPO_ROOT, 'dist/sidecar/src/cli.js'), ...command]
    : opts.bundled
      ? [sidecarBundle(), ...command]
      : ['-r', 'ts-node/register/transpile-only', path.join(REPO_ROOT, 'sidecar/src/cli.ts'), ...command];
  const child = spawn(process.execPath, entry, {
    // The bundle runs from its own directory: nothing of the checkout need be in reach.
    cwd: opts.bundled ? path.dirname(entry[0]) : REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', OPS_TOKEN: TEST_OPS_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts.user,
  });
  child.stdout?.on('data', (d) => output.push(String(d)));
  child.stderr?.on('data', (d) => output.push(String(d)));
  return child;
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
