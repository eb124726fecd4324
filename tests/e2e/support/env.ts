/**
 * Whether the end-to-end suites can run here: they need the Odoo 19 source,
 * a reachable PostgreSQL and Debian's Chromium. Each suite file asks once and
 * either runs or prints one line and skips.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadConfig, odooUnavailableReason } from '../../../scripts/odooDev';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function postgresUnavailableReason(): string | undefined {
  const config = loadConfig();
  const probe = spawnSync('psql', ['-h', config.dbHost, '-U', config.dbUser, '-d', 'postgres', '-tAc', 'SELECT 1'], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: config.dbPassword },
    timeout: 10_000,
  });
  if (probe.error) return `PostgreSQL client unavailable (${probe.error.message})`;
  if (probe.status !== 0 || probe.stdout.trim() !== '1') {
    return `PostgreSQL unreachable at ${config.dbHost} as ${config.dbUser} (${(probe.stderr || '').trim().split('\n')[0]})`;
  }
  return undefined;
}

let cached: { reason: string | undefined } | undefined;

/** Why the end-to-end suites cannot run here, or undefined when they can. */
export function e2eSkipReason(): string | undefined {
  if (!cached) {
    const reason =
      odooUnavailableReason() ??
      (existsSync(CHROMIUM_PATH) ? undefined : `no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`) ??
      postgresUnavailableReason();
    cached = { reason };
  }
  return cached.reason;
}

/** `describe` when the suite can run, else one warning line and `describe.skip`. */
export function describeE2E(title: string, body: () => void): void {
  const reason = e2eSkipReason();
  if (reason) {
    console.warn(`e2e "${title}" skipped: ${reason}`);
    describe.skip(title, body);
  } else {
    describe(title, body);
  }
}
