import { build } from 'esbuild';
import { BUILD_OPTIONS } from '../../../../scripts/buildFrontend';

// The bundle is at its size budget: the page reads the contract's types and
// the relay's limit, never its zod schemas. esbuild lists what it bundled.

it('bundles no zod and, of the contract, only its constants', async () => {
  const result = await build({ ...BUILD_OPTIONS, metafile: true });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((p) => p.includes('node_modules'))).toEqual([]);
  expect(inputs.filter((p) => p.startsWith('sidecar/src/contract/'))).toEqual(['sidecar/src/contract/constants.ts']);
});
