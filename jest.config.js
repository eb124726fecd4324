/** Unit and integration tests run under ts-jest; frontend tests pick jsdom per file. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testMatch: ['**/__tests__/**/*.test.ts', '<rootDir>/tests/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  // Shop databases for the real-Odoo suites, built before any test's timeout starts.
  globalSetup: '<rootDir>/tests/globalSetup.ts',
};
