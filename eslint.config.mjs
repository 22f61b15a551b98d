// Lint rules: type-aware; workflow code may not touch Node built-ins (determinism); imports go one
// way: production code never imports scripts/, testkit/ or test/; scripts/ and testkit/ never test/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Forbids importing any of these top-level folders, whatever the relative path. */
const importOf = (...folders) => ({
  regex: `(^|/)(${folders.join('|')})(/|$)`,
  message: `Imports go one way: this folder may not import ${folders.map((f) => `${f}/`).join(', ')}.`,
});
const productionImports = importOf('scripts', 'testkit', 'test');

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.backfill/**', 'bin/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: [
      'activities/**/*.ts',
      'workflows/**/*.ts',
      'worker/**/*.ts',
      'client/**/*.ts',
      'common/**/*.ts',
      'loading/**/*.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { patterns: [productionImports] }] },
  },
  {
    files: ['scripts/**/*.ts', 'testkit/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [importOf('test')] }] },
  },
  {
    // A later block's options replace an earlier one's for the same rule, so this repeats productionImports.
    files: ['workflows/**/*.ts', 'common/partitions.ts', 'common/types.ts', 'common/ids.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process'],
              message: 'Workflow code must be deterministic: no Node built-ins.',
            },
            {
              group: [
                '@temporalio/activity',
                '@temporalio/worker',
                '@temporalio/client',
                '@duckdb/*',
                'pino',
                'zod',
              ],
              message: 'Not allowed in workflow code.',
            },
            productionImports,
          ],
        },
      ],
    },
  },
  {
    // The loading engine runs under any runner (an activity, a test, a script): no Temporal in it.
    // (Repeats productionImports: this block's options replace the production block's for loading/.)
    files: ['loading/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@temporalio/*'], message: 'loading/ is the engine; Temporal belongs in activities/.' },
            {
              group: ['**/activities', '**/activities/*', '**/workflows/*'],
              message: 'loading/ does not depend on its callers.',
            },
            productionImports,
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier,
);
