/**
 * A sidecar started the way a merchant starts one: with the environment they
 * were given and nothing from the test harness (no operations token, no
 * shortened intervals, no preset replica name). Only PATH reaches the child
 * besides the variables passed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { exited, REPO_ROOT } from '../../helpers/process';

export interface SidecarProcess {
  child: ChildProcess;
  output: string[];
  /** SIGTERM; resolves once it exited (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

export function startSidecarProcess(env: Record<string, string>): SidecarProcess {
  const output: string[] = [];
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(REPO_ROOT, 'sidecar/src/cli.ts'), 'serve'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => output.push(String(d)));
  child.stderr?.on('data', (d) => output.push(String(d)));
  return {
    child,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
