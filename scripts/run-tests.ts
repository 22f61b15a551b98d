/**
 * `npm test`: provisions the binaries the suites need (Temporal CLI, MinIO: built from their Go
 * modules once, then cached; DuckDB's extensions), then runs every compiled test file with node's
 * test runner, one file at a time (each e2e file starts its own dev server; the machine has 2 cores).
 * `npm test -- <substring>` runs only the files whose path contains it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ensureDuckdbExtensions } from '../client/duckdb-extensions';
import { ensureTool } from '../client/tools';

const root = path.resolve(__dirname, '..', '..');
const testDir = path.join(root, 'dist', 'test');
const filters = process.argv.slice(2);

for (const tool of ['temporal', 'minio'] as const) {
  if (!ensureTool(tool))
    process.stderr.write(`note: no ${tool} binary and no Go; suites that need it will try other means\n`);
}
try {
  ensureDuckdbExtensions();
} catch (error) {
  process.stderr.write(`note: ${(error as Error).message}; the DuckLake suites will fail\n`);
}

const files = (readdirSync(testDir, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => path.join(testDir, f))
  .filter((f) => filters.length === 0 || filters.some((needle) => f.includes(needle)))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no test files match ${filters.join(' ')}\n`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  {
    stdio: 'inherit',
    cwd: root,
    // The AWS SDK's notice that its 2027 releases need Node 22, once per process, buries test output.
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
);
process.exit(result.status ?? 1);
