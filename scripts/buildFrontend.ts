/**
 * Builds the module's static files: the shop's browser bundle
 * (frontend/src/odoo, web.assets_frontend), the phone rule that bundle loads
 * on demand (frontend/src/phone, static/lib, in no asset bundle), the debug
 * panel it loads on debug pages only (frontend/src/debug, the
 * website_tiktok_events.pixel_helper bundle), the back office's TikTok
 * control room (frontend/src/backend, web.assets_backend), and the files of
 * OWL templates Odoo loads beside them (each template sits beside its
 * component in frontend/src).
 *
 *   npx ts-node --transpile-only scripts/buildFrontend.ts          # write them all
 *   npx ts-node --transpile-only scripts/buildFrontend.ts --check  # CI: exit 1 when any is stale
 *
 * Every bundle comes from one set of esbuild options (BASE_OPTIONS): an ES
 * module, minified, whose `@web/*` and `@odoo/owl` imports stay bare: Odoo's
 * asset pipeline turns every JS file under static/src into an Odoo module and
 * resolves those specifiers itself (OWL is Odoo's own copy, never bundled).
 * The build is deterministic (no timestamps, no absolute paths), so the
 * committed files can be compared byte for byte.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
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
const TEMPLATES_DIR = join(ADDONS, 'website_tiktok_events', 'static', 'src', 'xml');

/**
 * Each OWL template sits beside its component in frontend/src; Odoo loads
 * them, and its extractor finds their strings, from one file per asset bundle.
 */
export const TEMPLATE_FILES = [
  {
    output: join(TEMPLATES_DIR, 'tiktok_pixel_helper.xml'),
    sources: [join(ROOT, 'frontend', 'src', 'odoo', 'pixelHelper.xml')],
  },
  {
    output: join(TEMPLATES_DIR, 'tiktok_control_room.xml'),
    sources: ['dashboard.xml', 'testEventDialog.xml', 'sidecarKeyDialog.xml'].map((name) =>
      join(ROOT, 'frontend', 'src', 'backend', name),
    ),
  },
];

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

/** Odoo's own modules: bare imports that Odoo's module loader resolves (OWL is Odoo's copy, never bundled). */
const ODOO_MODULES = ['@web/*', '@website_sale/*', '@odoo/owl'];

/**
 * How every browser file of the module is built: one ES module per entry,
 * minified (the page bundle has a budget; Odoo serves the others as they are),
 * deterministic (no timestamps, no absolute paths) so the committed file can
 * be compared byte for byte. Each bundle below differs only by its entry,
 * its banner and what it adds.
 */
const BASE_OPTIONS = {
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  external: ODOO_MODULES,
  write: false,
  sourcemap: false,
  absWorkingDir: ROOT,
  logLevel: 'silent',
} satisfies BuildOptions;

function bundleOptions(entry: string, banner: string) {
  return { ...BASE_OPTIONS, entryPoints: [entry], banner: { js: banner } } satisfies BuildOptions;
}

/**
 * How the page bundle is built; the phone rule's URL stays a native `import()`
 * (see phoneRule.ts).
 */
export const BUILD_OPTIONS = {
  ...bundleOptions(ENTRY, BANNER),
  external: [...ODOO_MODULES, '/website_tiktok_events/*'],
} satisfies BuildOptions;

/** One bundle in memory: the base options keep it out of the file system (`write: false`). */
async function bundleWith(options: BuildOptions & { write: false }): Promise<string> {
  const result = await build(options);
  return result.outputFiles[0].text;
}

/** The page bundle, which loads `phoneRule` (the output of bundlePhoneRule) from its URL. */
export async function bundle(phoneRule: string): Promise<string> {
  return hoistImports(await bundleWith({ ...BUILD_OPTIONS, define: { TIKTOK_PHONE_RULE_URL: JSON.stringify(phoneRuleUrl(phoneRule)) } }));
}

/**
 * The phone rule with libphonenumber's "min" metadata: country plans, trunk
 * prefixes and number lengths, which is all E.164 needs; "max" and "mobile"
 * add the per-type ranges ("mobile" would even refuse Italy's 06 landlines).
 * A plain ES module without imports: the page `import()`s it, Odoo never
 * transpiles it.
 */
export async function bundlePhoneRule(): Promise<string> {
  return bundleWith(bundleOptions(PHONE_ENTRY, PHONE_BANNER));
}

/** The debug panel's bundle, outside the page's budget (debug pages only). */
export async function bundleDebugPanel(): Promise<string> {
  return hoistImports(await bundleWith(bundleOptions(DEBUG_ENTRY, BANNER)));
}

const TRANSLATION_IMPORT = "import { _t } from './translate';";

/**
 * Odoo's translation extractor (odoo/tools/translate.py, reading static/src/**.js)
 * finds the control room's strings only in calls spelled `_t("...")`, and a
 * minifier renames every binding an import makes. So the control room's
 * modules lose their import of `_t` (./translate.ts, there for the type
 * checker and the tests) and use it as a free name, which no minifier
 * renames; the bundle binds it once, by its first import line.
 */
export const keepTranslationName: Plugin = {
  name: 'keep-translation-name',
  setup(esbuild) {
    esbuild.onLoad({ filter: /[\\/]frontend[\\/]src[\\/]backend[\\/][^\\/]+\.ts$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      if (/\b_t\(/.test(source) && !source.includes(TRANSLATION_IMPORT)) {
        throw new Error(`${relative(ROOT, path)} calls _t: import it as the other modules do (${TRANSLATION_IMPORT})`);
      }
      return { contents: source.replace(TRANSLATION_IMPORT, ''), loader: 'ts' };
    });
  },
};

/** The control room's bundle (web.assets_backend). */
export async function bundleBackend(): Promise<string> {
  return hoistImports(
    await bundleWith({
      ...bundleOptions(BACKEND_ENTRY, `${BANNER}\nimport { _t } from "@web/core/l10n/translation";`),
      plugins: [keepTranslationName],
    }),
  );
}

/** A source file of templates: an XML declaration, comments, then one `<templates>` element. */
const TEMPLATES_SOURCE = /^(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*<templates xml:space="preserve">([\s\S]*)<\/templates>\s*$/;

/** The templates of `sources` gathered into one `<templates>` file, as Odoo loads it. */
export function gatherTemplates(sources: readonly string[]): string {
  const bodies = sources.map((source) => {
    const body = TEMPLATES_SOURCE.exec(readFileSync(source, 'utf8'))?.[1];
    if (body === undefined) {
      throw new Error(`${relative(ROOT, source)}: expected one <templates xml:space="preserve"> element after the comments`);
    }
    return body.replace(/^\n+|\s+$/g, '');
  });
  const from = sources.map((source) => relative(ROOT, source).split(sep).join(posix.sep)).join(', ');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<!-- Generated from ${from} by scripts/buildFrontend.ts; do not edit. -->`,
    '<templates xml:space="preserve">',
    '',
    bodies.join('\n\n'),
    '',
    '</templates>',
    '',
  ].join('\n');
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
  console.log(`${relative(ROOT, BACKEND_OUTPUT)}: ${backend.length} bytes minified`);
  const fresh = [
    writeOrCheck(PHONE_OUTPUT, phoneRule, check),
    writeOrCheck(OUTPUT, code, check),
    writeOrCheck(DEBUG_OUTPUT, debugPanel, check),
    writeOrCheck(BACKEND_OUTPUT, backend, check),
    ...TEMPLATE_FILES.map(({ output, sources }) => writeOrCheck(output, gatherTemplates(sources), check)),
  ];
  if (!fresh.every(Boolean)) process.exit(1);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
