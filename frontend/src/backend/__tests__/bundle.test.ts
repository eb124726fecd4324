import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleBackend, keepTranslationName } from '../../../../scripts/buildFrontend';

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

  it('refuses a control room module that takes _t from elsewhere: the minifier would rename it', async () => {
    const backend = join(mkdtempSync(join(tmpdir(), 'backend-')), 'frontend', 'src', 'backend');
    mkdirSync(backend, { recursive: true });
    const entry = join(backend, 'direct.ts');
    writeFileSync(entry, "import { _t } from '@web/core/l10n/translation';\nexport const title = _t('Sidecar');\n");
    await expect(
      build({ entryPoints: [entry], bundle: true, write: false, logLevel: 'silent', external: ['@web/*'], plugins: [keepTranslationName] }),
    ).rejects.toThrow(/direct\.ts calls _t: import it as the other modules do \(import \{ _t \} from '\.\/translate';\)/);
  });
});
