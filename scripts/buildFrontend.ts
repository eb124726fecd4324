/**
 * Builds the browser bundle into the module's static folder.
 *
 *   npx ts-node --transpile-only scripts/buildFrontend.ts          # write
 *   npx ts-node --transpile-only scripts/buildFrontend.ts --check  # CI: exit 1 when stale
 *
 * The output is an ES module whose `@web/*` and `@odoo/owl` imports stay bare:
 * Odoo's asset pipeline turns every JS file under static/src into an Odoo
 * module and resolves those specifiers itself (OWL is Odoo's own copy, never
 * bundled). The build is deterministic (no timestamps, no absolute paths), so
 * the committed file can be compared byte for byte.
 */
import { build, type BuildOptions } from 'esbuild';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = join(__dirname, '..');
const ENTRY = join(ROOT, 'frontend', 'src', 'odoo', 'main.ts');
export const OUTPUT = join(ROOT, 'addon', 'website_tiktok_events', 'static', 'src', 'js', 'tiktok_events.js');
/** The product's budget for the bundle, minified + gzipped. */
export const BUDGET_BYTES = 8 * 1024;

const BANNER =
  '/* TikTok Pixel + Events API for Odoo: generated from frontend/src by scripts/buildFrontend.ts; do not edit. LGPL-3.0-or-later */';

/** How the page bundle is built; Odoo's own modules stay bare imports for its module loader. */
export const BUILD_OPTIONS = {
  entryPoints: [ENTRY],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  external: ['@web/*', '@website_sale/*', '@odoo/owl'],
  write: false,
  sourcemap: false,
  absWorkingDir: ROOT,
  banner: { js: BANNER },
  logLevel: 'silent',
} satisfies BuildOptions;

export async function bundle(): Promise<string> {
  const result = await build(BUILD_OPTIONS);
  return hoistImports(result.outputFiles[0].text);
}

const MINIFIED_IMPORT = /import\s*\{([^{}]*)\}\s*from\s*"([^"]+)";?/g;

/**
 * Odoo's transpiler (odoo/tools/js_transpiler.py) only recognises an import
 * that starts a line and is spelled `import { a as b } from "x"`; minified
 * output glues `import{a as b}from"x"` after esbuild's helpers. Rewrite each
 * import on its own line at the top; nothing else in the bundle changes.
 */
export function hoistImports(code: string): string {
  const imports: string[] = [];
  const body = code.replace(MINIFIED_IMPORT, (_all, names: string, from: string) => {
    const list = names
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
      .join(', ');
    imports.push(`import { ${list} } from "${from}";`);
    return '';
  });
  const bannerEnd = body.startsWith('/*') ? body.indexOf('*/') + 2 : 0;
  return `${body.slice(0, bannerEnd).trimEnd()}\n${imports.join('\n')}\n${body.slice(bannerEnd).trimStart()}`;
}

export function gzipSize(code: string): number {
  return gzipSync(Buffer.from(code), { level: 9 }).length;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const code = await bundle();
  const gz = gzipSize(code);
  const where = relative(ROOT, OUTPUT);
  console.log(`${where}: ${code.length} bytes minified, ${gz} bytes gzipped (budget ${BUDGET_BYTES})`);
  if (gz > BUDGET_BYTES) {
    console.error(`bundle over budget by ${gz - BUDGET_BYTES} bytes`);
    process.exit(1);
  }
  if (check) {
    const committed = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : '';
    if (committed !== code) {
      console.error(`${where} is stale: run scripts/buildFrontend.ts and commit the result`);
      process.exit(1);
    }
    console.log(`${where} is up to date`);
    return;
  }
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, code);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
