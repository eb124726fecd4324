import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { VECTORS } from '../../../../tests/vectors/contractVectors';
import { OUTPUT, PHONE_OUTPUT, phoneRuleUrl } from '../../../../scripts/buildFrontend';

// The committed files, as the browser gets them: the page bundle imports the
// phone rule file by its URL, and that file, run as the ES module it is, reads
// the shared vectors as the sidecar and the module do.

describe('the phone rule the page loads on demand', () => {
  const phoneRule = readFileSync(PHONE_OUTPUT, 'utf8');

  it('is the file the committed page bundle imports, by its content hash', () => {
    const page = readFileSync(OUTPUT, 'utf8');
    expect(page).toContain(`import(${JSON.stringify(phoneRuleUrl(phoneRule))})`);
    expect(page).not.toContain('country_calling_codes'); // no metadata in the page bundle
  });

  it('gives the E.164 of every shared vector when run as a module', () => {
    const cases = VECTORS.phone.map((v) => [v.raw, v.country]);
    const script = `
      const { normalizePhone } = await import(${JSON.stringify(pathToFileURL(PHONE_OUTPUT).href)});
      const cases = ${JSON.stringify(cases)};
      process.stdout.write(JSON.stringify(cases.map(([raw, country]) => normalizePhone(raw, country ?? undefined) ?? null)));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(VECTORS.phone.map((v) => v.e164));
  });
});
