/**
 * Builds the two bundles into the module's static folder: the shop's browser
 * bundle (frontend/src/odoo, web.assets_frontend) and the back office's TikTok
 * control room (frontend/src/backend, web.assets_backend).
 *
 *   npx ts-node --transpile-only scripts/buildFrontend.ts          # write both
 *   npx ts-node --transpile-only scripts/buildFrontend.ts --check  # CI: exit 1 when either is stale
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
const BACKEND_ENTRY = join(ROOT, 'frontend', 'src', 'backend', 'main.ts');
export const BACKEND_OUTPUT = join(ROOT, 'addon', 'website_tiktok_events', 'static', 'src', 'js', 'tiktok_dashboard.js');

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

/**
 * The control room is not minified: Odoo minifies back-office assets itself,
 * and its translation extractor finds the `_t("...")` calls of this file only
 * while `_t` keeps its name (odoo/tools/translate.py reads static/src/**.js).
 */
export async function bundleBackend(): Promise<string> {
  const result = await build({
    entryPoints: [BACKEND_ENTRY],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: false,
    legalComments: 'none',
    charset: 'utf8',
    external: ['@web/*', '@odoo/owl'],
    write: false,
    sourcemap: false,
    absWorkingDir: ROOT,
    banner: { js: BANNER },
    logLevel: 'silent',
  });
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

/** Compare with the committed file (--check), or write it; false when stale. */
function writeOrCheck(output: string, code: string, check: boolean): boolean {
  const where = relative(ROOT, output);
  if (check) {
    const committed = existsSync(output) ? readFileSync(output, 'utf8') : '';
    if (committed !== code) {
      console.error(`${where} is stale: run scripts/buildFrontend.ts and commit the result`);
      return false;
    }
    console.log(`${where} is up to date`);
    return true;
  }
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, code);
  return true;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const code = await bundle();
  const gz = gzipSize(code);
  console.log(`${relative(ROOT, OUTPUT)}: ${code.length} bytes minified, ${gz} bytes gzipped (budget ${BUDGET_BYTES})`);
  if (gz > BUDGET_BYTES) {
    console.error(`bundle over budget by ${gz - BUDGET_BYTES} bytes`);
    process.exit(1);
  }
  const backend = await bundleBackend();
  console.log(`${relative(ROOT, BACKEND_OUTPUT)}: ${backend.length} bytes`);
  const fresh = [writeOrCheck(OUTPUT, code, check), writeOrCheck(BACKEND_OUTPUT, backend, check)];
  if (!fresh.every(Boolean)) process.exit(1);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
