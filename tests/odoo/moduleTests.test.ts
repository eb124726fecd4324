import { odooUnavailableReason, runModuleTests } from '../../scripts/odooDev';

/** Odoo's own Python tests of the module, on a fresh copy of the template database. */
const unavailable = odooUnavailableReason();
if (unavailable) console.warn(`Odoo module tests skipped: ${unavailable}`);
const describeWithOdoo = unavailable ? describe.skip : describe;

describeWithOdoo('website_tiktok_events on real Odoo 19', () => {
  it('passes its Odoo test suite with no failure or error', async () => {
    const result = await runModuleTests(`tt_jest_module_${process.pid}`);
    if (!result.ok) console.error(`Odoo tests: ${result.summary} (log: ${result.logFile})`);
    expect(result.summary).toMatch(/\b0 failed, 0 error\(s\) of [1-9]\d* tests/);
    expect(result.exitCode).toBe(0);
  }, 30 * 60_000);
});
