import { build } from 'esbuild';
import { join } from 'path';
(async () => {
  const ROOT = join(__dirname, '..');
  const r = await build({ entryPoints: [join(ROOT, 'frontend/src/odoo/main.ts')], bundle: true, format: 'esm', target: 'es2020', minify: true, legalComments: 'none', external: ['@web/*', '@odoo/owl'], write: false, metafile: true, absWorkingDir: ROOT, tsconfig: join(ROOT, 'frontend/tsconfig.json') });
  const out = Object.values(r.metafile!.outputs)[0];
  const rows = Object.entries(out.inputs).map(([k, v]) => [v.bytesInOutput, k] as const).sort((a, b) => b[0] - a[0]);
  for (const [n, k] of rows) console.log(String(n).padStart(6), k);
})();
