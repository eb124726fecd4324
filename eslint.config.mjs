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
