/**
 * Builds the module's static files: the shop's browser bundle
 * (frontend/src/odoo, web.assets_frontend), the phone rule that bundle loads
 * on demand (frontend/src/phone, static/lib, in no asset bundle), the debug
 * panel it loads on debug pages only (frontend/src/debug, the
 * website_tiktok_events.pixel_helper bundle) and the back office's TikTok
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
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = join(__dirname, '..');
const ENTRY = join(ROOT, 'frontend', 'src', 'odoo', 'main.ts');
export const OUTPUT = join(ROOT, 'addon', 'website_tiktok_events', 'static', 'src', 'js', 'tiktok_events.js');
/** The product's budget for the bundle, minified + gzipped. */
export const BUDGET_BYTES = 8 * 1024;
const ADDONS = join(ROOT, 'addon');
const PHONE_ENTRY = join(ROOT, 'frontend', 'src', 'phone', 'main.ts');
/** Outside static/src: Odoo serves it as it is and puts it in no asset bundle. */
export const PHONE_OUTPUT = join(ADDONS, 'website_tiktok_events', 'static', 'lib', 'tiktok_phone.js');
const DEBUG_ENTRY = join(ROOT, 'frontend', 'src', 'debug', 'main.ts');
export const DEBUG_OUTPUT = join(ROOT, 'addon', 'website_tiktok_events', 'static', 'src', 'debug', 'tiktok_pixel_helper.js');
const BACKEND_ENTRY = join(ROOT, 'frontend', 'src', 'backend', 'main.ts');
export const BACKEND_OUTPUT = join(ROOT, 'addon', 'website_tiktok_events', 'static', 'src', 'js', 'tiktok_dashboard.js');

const BANNER =
  '/* TikTok Pixel + Events API for Odoo: generated from frontend/src by scripts/buildFrontend.ts; do not edit. LGPL-3.0-or-later */';

const PHONE_BANNER =
  '/* TikTok Pixel + Events API for Odoo: the phone number rule, generated from frontend/src/phone by scripts/buildFrontend.ts; do not edit. ' +
  'Includes libphonenumber-js (MIT, Nikolay Kuchumov) and libphonenumber metadata (Apache-2.0, Google). */';

/** The page loads the phone rule from this URL: Odoo's path of the file, with its content hash against stale caches. */
export function phoneRuleUrl(phoneRule: string): string {
  const path = relative(ADDONS, PHONE_OUTPUT).split(sep).join(posix.sep);
  return `/${path}?v=${createHash('sha256').update(phoneRule).digest('hex').slice(0, 16)}`;
}

/**
 * How the page bundle is built; Odoo's own modules stay bare imports for its module
 * loader, and the phone rule's URL stays a native `import()` (see phoneRule.ts).
 */
export const BUILD_OPTIONS = {
  entryPoints: [ENTRY],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  external: ['@web/*', '@website_sale/*', '@odoo/owl', '/website_tiktok_events/*'],
  write: false,
  sourcemap: false,
  absWorkingDir: ROOT,
  banner: { js: BANNER },
  logLevel: 'silent',
} satisfies BuildOptions;

/** The page bundle, which loads `phoneRule` (the output of bundlePhoneRule) from its URL. */
export async function bundle(phoneRule: string): Promise<string> {
  const result = await build({ ...BUILD_OPTIONS, define: { TIKTOK_PHONE_RULE_URL: JSON.stringify(phoneRuleUrl(phoneRule)) } });
  return hoistImports(result.outputFiles[0].text);
}

/**
 * The phone rule with libphonenumber's "min" metadata: country plans, trunk
 * prefixes and number lengths, which is all E.164 needs; "max" and "mobile"
 * add the per-type ranges ("mobile" would even refuse Italy's 06 landlines).
 * A plain ES module: the page `import()`s it, Odoo never transpiles it.
 */
export async function bundlePhoneRule(): Promise<string> {
  const result = await build({
    entryPoints: [PHONE_ENTRY],
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    sourcemap: false,
    absWorkingDir: ROOT,
    banner: { js: PHONE_BANNER },
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** The debug panel's bundle: minified like the page bundle, outside its budget (debug pages only). */
export async function bundleDebugPanel(): Promise<string> {
  const result = await build({ ...BUILD_OPTIONS, entryPoints: [DEBUG_ENTRY] });
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
  const phoneRule = await bundlePhoneRule();
  console.log(`${relative(ROOT, PHONE_OUTPUT)}: ${phoneRule.length} bytes minified, ${gzipSize(phoneRule)} bytes gzipped (loaded on demand)`);
  const code = await bundle(phoneRule);
  const gz = gzipSize(code);
  console.log(`${relative(ROOT, OUTPUT)}: ${code.length} bytes minified, ${gz} bytes gzipped (budget ${BUDGET_BYTES})`);
  if (gz > BUDGET_BYTES) {
    console.error(`bundle over budget by ${gz - BUDGET_BYTES} bytes`);
    process.exit(1);
  }
  const debugPanel = await bundleDebugPanel();
  console.log(`${relative(ROOT, DEBUG_OUTPUT)}: ${debugPanel.length} bytes minified (debug pages only)`);
  const backend = await bundleBackend();
  console.log(`${relative(ROOT, BACKEND_OUTPUT)}: ${backend.length} bytes`);
  const fresh = [
    writeOrCheck(PHONE_OUTPUT, phoneRule, check),
    writeOrCheck(OUTPUT, code, check),
    writeOrCheck(DEBUG_OUTPUT, debugPanel, check),
    writeOrCheck(BACKEND_OUTPUT, backend, check),
  ];
  if (!fresh.every(Boolean)) process.exit(1);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
