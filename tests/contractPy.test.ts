import fs from 'node:fs';
import { contractPy, OUTPUT, pyLiteral } from '../scripts/buildContractPy';

// The module's copy of the contract's constants is generated: the committed file
// is what the contract says today (CI's check:contract-py fails otherwise).
it('commits the Python constants the contract generates', () => {
  expect(fs.readFileSync(OUTPUT, 'utf8')).toBe(contractPy());
});

it('writes Python literals, and refuses a value Python would read otherwise', () => {
  expect(pyLiteral(['a', "it's"])).toBe(`('a', "it's")`);
  expect(pyLiteral(['only'])).toBe(`('only',)`);
  expect(pyLiteral(/^[A-Z0-9]{16,32}$/)).toBe(`r'^[A-Z0-9]{16,32}$'`);
  expect(() => pyLiteral(/^a$/i)).toThrow(/no plain raw-string form/);
  expect(() => pyLiteral(2 ** 60)).toThrow(/not an integer/);
});
