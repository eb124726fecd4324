import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The contract is a leaf and the browser shares only it with the sidecar: the
// lint rules of eslint.config.mjs hold both. Each case lints a real file with
// one import added, as a change would add it. ESLint loads its ES-module
// configuration in a plain Node process (jest's module system cannot).
const ROOT = path.join(__dirname, '..');

const LINT_CASES = `
const { ESLint } = require('eslint');
const fs = require('node:fs');
const cases = JSON.parse(process.argv[1]);
(async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const [file, line] of cases) {
    const [result] = await eslint.lintText(line + '\\n' + fs.readFileSync(file, 'utf8'), { filePath: require('node:path').resolve(file) });
    out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

function restrictedImports(cases: [file: string, addedLine: string][]): string[][] {
  const run = spawnSync(process.execPath, ['-e', LINT_CASES, JSON.stringify(cases)], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as string[][];
}

const REFUSED: [label: string, file: string, addedLine: string, message: RegExp][] = [
  ['the contract importing the sidecar', 'sidecar/src/contract/formats.ts', "export type { Lane } from '../tiktok/lane';", /imports nothing outside sidecar\/src\/contract/],
  ['the contract leaving itself by a roundabout path', 'sidecar/src/contract/formats.ts', "import './../tiktok/lane';", /imports nothing outside sidecar\/src\/contract/],
  ['the browser leaving the contract through its alias', 'frontend/src/core/clean.ts', "import '@contract/../tiktok/lane';", /never a path out of it/],
  ['the contract importing the browser', 'sidecar/src/contract/formats.ts', "import '../../../frontend/src/core/clean';", /imports nothing outside sidecar\/src\/contract/],
  ['the contract importing itself by the alias', 'sidecar/src/contract/formats.ts', "import '@contract/constants';", /by relative path/],
  ['the browser importing sidecar code', 'frontend/src/core/clean.ts', "export type { Lane } from '../../../sidecar/src/tiktok/lane';", /no other sidecar code/],
  ['the browser reaching the contract by path', 'frontend/src/core/clean.ts', "import '../../../sidecar/src/contract/constants';", /as @contract\/<file>/],
  ['the sidecar importing the alias', 'sidecar/src/tiktok/lane.ts', "import '@contract/constants';", /@contract\/ is the browser's alias/],
];
const ALLOWED: [file: string, addedLine: string][] = [
  ['frontend/src/core/clean.ts', "import '@contract/constants';"],
  ['sidecar/src/contract/formats.ts', "import './constants';"],
];

it('refuses imports across the contract boundary, naming the way to import instead', () => {
  const found = restrictedImports([...REFUSED.map(([, file, line]) => [file, line] as [string, string]), ...ALLOWED]);
  REFUSED.forEach(([label, , , message], i) => expect({ label, messages: found[i] }).toEqual({ label, messages: [expect.stringMatching(message)] }));
  expect(found.slice(REFUSED.length)).toEqual(ALLOWED.map(() => []));
}, 180_000);
