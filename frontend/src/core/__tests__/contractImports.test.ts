import { build } from 'esbuild';
import { join } from 'node:path';

// The bundle is at its size budget: the page reads the contract's types and
// the relay's limit, never its zod schemas. esbuild lists what it bundled.
const ROOT = join(__dirname, '..', '..', '..', '..');

it('bundles no zod and, of the contract, only its constants', async () => {
  const result = await build({
    entryPoints: [join(ROOT, 'frontend', 'src', 'odoo', 'main.ts')],
    bundle: true,
    format: 'esm',
    write: false,
    metafile: true,
    external: ['@web/*', '@odoo/owl'],
    absWorkingDir: ROOT,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
  expect(inputs.filter((p) => p.startsWith('sidecar/src/contract/'))).toEqual(['sidecar/src/contract/constants.ts']);
});
