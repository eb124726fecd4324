import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_OPTIONS } from '../../../../scripts/buildFrontend';

// The bundle is at its size budget: the page reads the contract's types, the
// relay's limit and the plain rules both sides apply (normalization, privacy,
// event names, empty values), never its zod schemas. esbuild lists what it bundled.

it('bundles no zod and, of the contract, only its constants and plain rules', async () => {
  const result = await build({ ...BUILD_OPTIONS, metafile: true });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
  expect(inputs.filter((p) => p.startsWith('sidecar/src/contract/')).sort()).toEqual(
    ['clean', 'constants', 'eventNames', 'normalize', 'privacy'].map((name) => `sidecar/src/contract/${name}.ts`),
  );
});

it('carries no debug panel (nor OWL): the panel has its own bundle, loaded on debug pages only', async () => {
  const result = await build({ ...BUILD_OPTIONS, metafile: true });
  expect(Object.keys(result.metafile.inputs).filter((p) => p.endsWith('pixelHelper.ts'))).toEqual([]);
  expect(result.outputFiles[0].text).not.toContain('@odoo/owl');
  const manifest = readFileSync(join(__dirname, '..', '..', '..', '..', 'addon', 'website_tiktok_events', '__manifest__.py'), 'utf8');
  expect(manifest).toMatch(
    /'website_tiktok_events\.pixel_helper': \[\s*'website_tiktok_events\/static\/src\/debug\/tiktok_pixel_helper\.js',\s*'website_tiktok_events\/static\/src\/xml\/tiktok_pixel_helper\.xml',/,
  );
});
