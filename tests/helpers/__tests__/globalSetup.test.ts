import path from 'node:path';
import { odooSuites, selectsOdooSuite } from '../../globalSetup';
import { REPO_ROOT } from '../../../scripts/odooDev';

describe('which test runs build the shop databases first', () => {
  const suites = odooSuites();

  it('knows the real-Odoo suites and only them', () => {
    const relative = suites.map((f) => path.relative(REPO_ROOT, f));
    expect(relative).toEqual(expect.arrayContaining(['tests/odoo/moduleTests.test.ts', 'tests/integration/purchase.real.test.ts', 'tests/e2e/controlRoom.test.ts']));
    expect(relative).not.toContain('tests/integration/delivery.test.ts');
    expect(relative.every((f) => f.endsWith('.test.ts'))).toBe(true);
  });

  it('builds for the whole run and for a selection that holds a real-Odoo suite', () => {
    expect(selectsOdooSuite('', suites)).toBe(true);
    expect(selectsOdooSuite('tests/e2e', suites)).toBe(true);
    expect(selectsOdooSuite('purchase\\.real', suites)).toBe(true);
  });

  it('does not build for unit tests alone', () => {
    expect(selectsOdooSuite('sidecar/src/relay', suites)).toBe(false);
    expect(selectsOdooSuite('tests/integration/delivery.test.ts', suites)).toBe(false);
  });
});
