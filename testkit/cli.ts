/** The `backfill` CLI under test: in this process (fast) or as the real binary (exit codes, stderr). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { TestEnv } from './env';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'backfill.js');

/** Runs the real binary in its own process (an in-process worker keeps serving meanwhile). */
export function runCliProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() });
      },
    );
  });
}

/** Runs the CLI in-process against the test server; returns its exit code and output lines. */
export async function runCli(
  env: TestEnv,
  taskQueue: string,
  args: string[],
): Promise<{ code: number; out: string[]; err: string[] }> {
  const { main } = await import('../client/cli');
  process.env.TEMPORAL_ADDRESS = env.server.address;
  process.env.TEMPORAL_NAMESPACE = env.server.namespace;
  process.env.BACKFILL_TASK_QUEUE = taskQueue;
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out, err };
}

/** Bad input's contract: stderr is one line matching `pattern`, with no stack trace. */
export function assertOneLineError(result: { stderr: string }, pattern: RegExp) {
  const lines = result.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}
