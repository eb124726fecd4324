/**
 * Heavy fixtures are built before any test starts, never inside a test's or a
 * hook's timeout: the shop databases of the real-Odoo suites (the base shop with
 * its apps and demo data, then the template with our modules) take minutes on a
 * fresh or busy machine. Skipped when Odoo cannot run here or when the selected
 * tests need no Odoo.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureTemplate, loadConfig, odooUnavailableReason, REPO_ROOT } from '../scripts/odooDev';

/** The suites that start a real Odoo 19 from the template database. */
const ODOO_SUITE_DIRS = ['tests/e2e', 'tests/odoo', 'tests/integration'];
const isOdooSuite = (file: string) => file.endsWith('.test.ts') && (!file.includes('/integration/') || file.endsWith('.real.test.ts'));

export function odooSuites(root: string = REPO_ROOT): string[] {
  return ODOO_SUITE_DIRS.flatMap((dir) =>
    fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir)).map((f) => path.join(root, dir, f)) : [],
  ).filter(isOdooSuite);
}

/** Whether a jest run selecting `pattern` (empty: every suite) runs a real-Odoo suite. */
export function selectsOdooSuite(pattern: string, suites: string[] = odooSuites()): boolean {
  if (!pattern) return true;
  const selected = new RegExp(pattern, 'i');
  return suites.some((file) => selected.test(file));
}

/** What this setup reads of jest's global configuration. */
interface SelectedTests {
  testPathPattern: string;
}

export default async function globalSetup(globalConfig: SelectedTests): Promise<void> {
  if (odooUnavailableReason()) return; // each real-Odoo suite says why it skips
  if (!selectsOdooSuite(globalConfig.testPathPattern)) return;
  const started = Date.now();
  const result = await ensureTemplate(loadConfig(), (line) => console.log(line));
  if (result.rebuilt) console.log(`shop databases ready for the real-Odoo tests (${Math.round((Date.now() - started) / 1000)} s)`);
}
