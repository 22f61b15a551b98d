// Lint rules: type-aware; workflow code (and every module it imports) may not touch Node built-ins
// (determinism); client/ never imports activities/; imports go one way: production code never
// imports scripts/, testkit/ or test/; scripts/ and testkit/ never test/.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import js from '@eslint/js';
import ts from 'typescript';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Forbids importing any of these top-level folders, whatever the relative path. */
const importOf = (...folders) => ({
  regex: `(^|/)(${folders.join('|')})(/|$)`,
  message: `Imports go one way: this folder may not import ${folders.map((f) => `${f}/`).join(', ')}.`,
});
const productionImports = importOf('scripts', 'testkit', 'test');

/**
 * Every module the workflow bundle pulls in: workflows/ and what it imports, transitively, through
 * value imports (a type-only import is erased, so `import type { BackfillSpec }` does not pull
 * common/spec.ts into the sandbox). Computed here so a new import is covered without a list to keep.
 */
function workflowModules(entry) {
  const root = import.meta.dirname;
  const seen = new Set();
  const resolve = (from, spec) =>
    [`${spec}.ts`, path.join(spec, 'index.ts')]
      .map((candidate) => path.resolve(path.dirname(from), candidate))
      .find((file) => existsSync(file));
  const typeOnly = (node) => {
    const clause = node.importClause;
    if (!clause) return false; // a side-effect import runs
    if (clause.isTypeOnly) return true;
    const named = clause.namedBindings;
    return !clause.name && named && ts.isNamedImports(named) && named.elements.every((e) => e.isTypeOnly);
  };
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
    for (const node of source.statements) {
      const isImport = ts.isImportDeclaration(node) && !typeOnly(node);
      const isExport = ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier;
      if (!isImport && !isExport) continue;
      const spec = node.moduleSpecifier.text;
      const target = spec.startsWith('.') ? resolve(file, spec) : undefined;
      if (target) visit(target);
    }
  };
  visit(path.resolve(root, entry));
  return [...seen].map((file) => path.relative(root, file).split(path.sep).join('/'));
}

/** Node's built-in modules under both names: `zlib` and `node:zlib`. */
const NODE_BUILTINS = builtinModules.flatMap((name) =>
  name.startsWith('node:') ? [name] : [name, `node:${name}`],
);

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
    files: ['workflows/**/*.ts', ...workflowModules('workflows/index.ts')],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({
            name,
            message: 'Workflow code must be deterministic: no Node built-ins.',
          })),
          patterns: [
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
    // The CLI drives backfills through Temporal only: what needs the data runs on a worker.
    // (Repeats productionImports: this block's options replace the production block's for client/.)
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)activities(/|$)',
              message: 'client/ never imports activities/: run it on a worker (see planWorkflow).',
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
