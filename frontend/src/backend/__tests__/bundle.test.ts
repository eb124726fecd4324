import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleBackend } from '../../../../scripts/buildFrontend';

const SOURCES = join(__dirname, '..');
const TRANSLATED = /_t\(\s*(['"])((?:(?!\1)[^\\]|\\.)*)\1/g;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the control room bundle', () => {
  it('keeps every _t("...") call spelled so that Odoo extracts its string', async () => {
    const code = await bundleBackend();
    expect(code).not.toMatch(/\b_t\d+\b/);
    const strings = readdirSync(SOURCES)
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
      .map((name) => readFileSync(join(SOURCES, name), 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, ''))
      .flatMap((source) => [...source.matchAll(TRANSLATED)].map((m) => m[2]));
    expect(strings.length).toBeGreaterThan(10);
    for (const text of strings) expect(code).toMatch(new RegExp(`_t\\(\\s*${escapeRegExp(JSON.stringify(text))}`));
  });

  it('leaves Odoo and OWL to the page, one import line each', async () => {
    const code = await bundleBackend();
    expect(code).not.toContain('class Component'); // OWL is Odoo's own copy
    for (const line of code.split('\n').filter((l) => l.startsWith('import '))) {
      expect(line).toMatch(/^import \{ [^}]+ \} from "(@web\/[\w/.]+|@odoo\/owl)";$/);
    }
  });
});
