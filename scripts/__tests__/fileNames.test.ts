import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * One file-naming style per language: camelCase for TypeScript (with dotted
 * qualifiers such as `.test`, `.real.test`, `.d`), snake_case for Python, as
 * Odoo names its own files; Odoo's migration scripts keep the names Odoo looks for
 * (it runs every `pre-*`, `post-*` and `end-*` file of a version's folder, named
 * after their topic).
 */
const ROOT = path.join(__dirname, '..', '..');
const RULES: Array<{ ext: string; name: RegExp }> = [
  { ext: '.ts', name: /^[a-z][a-zA-Z0-9]*(\.[a-z]+)*\.ts$/ },
  { ext: '.py', name: /^([a-z][a-z0-9_]*|__init__|__manifest__|(pre|post|end)-[a-z][a-z0-9_-]*)\.py$/ },
];

it('names every TypeScript and Python file in its language\'s one style', () => {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
  const offenders = files.filter((file) => {
    const rule = RULES.find((r) => file.endsWith(r.ext));
    return rule !== undefined && !rule.name.test(path.basename(file));
  });
  expect(offenders).toEqual([]);
});
