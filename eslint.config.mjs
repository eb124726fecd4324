// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** TypeScript everywhere: the recommended rules of ESLint and typescript-eslint, type-aware. */
export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'addon/', 'coverage/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Unused names are errors, except the ones whose name says they are unused.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // An `async` method that returns at once is how an interface returning a Promise is
      // implemented (test doubles, transports); the keyword keeps thrown errors as rejections.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The contract is a leaf: both sides of a wire build on it, it builds on nothing of theirs
    // (its own files by relative path, and packages).
    files: ['sidecar/src/contract/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)\\.\\.(/|$)', message: 'the contract imports nothing outside sidecar/src/contract: move the value into the contract, or the code out of it' },
            { regex: '^@contract/', message: 'inside the contract, import its files by relative path (./name): the sidecar runs the compiled output, where no alias resolves' },
          ],
        },
      ],
    },
  },
  {
    // The sidecar runs as plain compiled Node, where the browser's alias does not resolve.
    files: ['sidecar/src/**/*.ts'],
    ignores: ['sidecar/src/contract/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^@contract/', message: 'the sidecar imports its contract by relative path; @contract/ is the browser\'s alias' }] }],
    },
  },
  {
    // The browser shares the contract with the sidecar, through its alias, and nothing else of the sidecar.
    files: ['frontend/src/**/*.ts'],
    ignores: ['**/__tests__/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)sidecar/', message: 'the browser imports the sidecar\'s contract as @contract/<file>, and no other sidecar code' },
            { regex: '^@contract/(.*/)?\\.\\.(/|$)', message: 'the browser imports the contract\'s own files only: @contract/<file>, never a path out of it' },
          ],
        },
      ],
    },
  },
  {
    // Tests, fakes and benchmarks read untyped JSON (answers, recorded payloads) on purpose;
    // production code may not.
    files: ['tests/**', '**/__tests__/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // jest.mock factories cannot use the file's imports: they require what they mock.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
