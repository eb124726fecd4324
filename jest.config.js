/** Unit and integration tests run under ts-jest; frontend tests pick jsdom per file. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testMatch: ['**/__tests__/**/*.test.ts', '<rootDir>/tests/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The contract's alias (tsconfig.json `paths`), as the browser's code imports it.
  moduleNameMapper: { '^@contract/(.*)$': '<rootDir>/sidecar/src/contract/$1' },
  testTimeout: 30000,
  // Shop databases for the real-Odoo suites, built before any test's timeout starts.
  globalSetup: '<rootDir>/tests/globalSetup.ts',
};
