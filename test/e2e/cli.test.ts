import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setRetention } from '../../client/dev-server';
import { stringify } from 'yaml';
import { assertOneLineError, runCliProcess as cli } from '../../testkit/cli';
import { generatedTransactions, tempDir, uniqueId } from '../../testkit/fixtures';
import { transactionsSpecInput } from '../../testkit/specs';
import { useServerWithWorker } from '../../testkit/worker';

function writeSpec(dir: string, spec: Record<string, unknown>): string {
  const file = path.join(dir, 'spec.yaml');
  writeFileSync(file, stringify(spec));
  return file;
}

/** Paths relative to the spec file, as a user writes them. */
const baseSpec = (name: string) => ({
  ...transactionsSpecInput({
    name,
    source: 'raw',
    target: 'warehouse.duckdb',
    from: '2019-01',
    to: '2019-03',
  }),
  retry: { maximumAttempts: 2, initialInterval: '100ms' },
  heartbeatTimeout: '3s',
});

describe('CLI against a real dev server', () => {
  const { env, serverEnv } = useServerWithWorker();

  it('start --wait shows progress, exits 0, and status/list report the backfill', async () => {
    const { dir } = generatedTransactions({ from: '2019-01', to: '2019-03' });
    const name = uniqueId('cli');
    const file = writeSpec(dir, baseSpec(name));
    const started = await cli(['start', file, '--wait'], serverEnv());
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stderr, new RegExp(`started backfill ${name} \\(3 partitions\\)`));
    assert.match(
      started.stderr,
      new RegExp(`UI: http://localhost:\\d+/namespaces/default/workflows/${name}`),
    );
    assert.match(started.stdout, /3 partitions: 3 succeeded/);

    const status = await cli(['status', name, '--json'], serverEnv());
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as {
      counts: { succeeded: number };
      totals: { rowsRead: number };
    };
    assert.equal(parsed.counts.succeeded, 3);
    assert.ok(parsed.totals.rowsRead >= 900);

    const human = await cli(['status', name], serverEnv());
    assert.equal(human.code, 0, human.stderr);
    const lines = human.stdout.split('\n');
    assert.match(lines[0]!, /^PARTITION\s+STATUS\s+FILES\s+BYTES\s+ROWS READ/, 'a header row');
    assert.deepEqual(
      lines.slice(1, 4).map((l) => l.split(/\s+/).slice(0, 2)),
      [
        ['2019-01', 'succeeded'],
        ['2019-02', 'succeeded'],
        ['2019-03', 'succeeded'],
      ],
      'one line per partition, no rule lines between them',
    );
    assert.match(lines[4]!, new RegExp(`^${name}: finished \\(completed\\) — 3 partitions: 3 succeeded`));

    const list = await cli(['list', '--json'], serverEnv());
    assert.equal(list.code, 0, list.stderr);
    assert.ok((JSON.parse(list.stdout) as { backfillId: string }[]).some((b) => b.backfillId === name));

    const overridden = await cli(
      ['start', file, '--wait', '--to', '2019-02', '--id', `${name}-b`, '--json'],
      serverEnv(),
    );
    assert.equal(overridden.code, 0, overridden.stderr);
    assert.equal((JSON.parse(overridden.stdout) as { total: number }).total, 2, '--to overrides the spec');
  });

  it('plan shows files and bytes per partition and what each reprocess mode would skip', async () => {
    const { dir } = generatedTransactions({
      from: '2019-01',
      to: '2019-02',
      rowsPerPartition: 100,
      filesPerPartition: 3,
    });
    const name = uniqueId('plan');
    const file = writeSpec(dir, baseSpec(name)); // 2019-01..2019-03; 2019-03 has no files
    type Plan = {
      partitions: { key: string; files: number; bytes: number; lastRun: string; action: string }[];
    };
    const plan = async (...args: string[]) => {
      const result = await cli(['plan', file, '--json', ...args], serverEnv());
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as Plan;
    };
    const fresh = await plan();
    assert.deepEqual(
      fresh.partitions.map((p) => [p.key, p.files, p.lastRun, p.action]),
      [
        ['2019-01', 3, 'none', 'run'],
        ['2019-02', 3, 'none', 'run'],
        ['2019-03', 0, 'none', 'run'],
      ],
    );
    assert.ok(fresh.partitions[0]!.bytes > 0);
    const started = await cli(['start', file, '--wait'], serverEnv());
    assert.equal(started.code, 0, started.stderr);
    assert.deepEqual(
      (await plan()).partitions.map((p) => p.action),
      ['skip', 'skip', 'skip'],
    );
    assert.deepEqual(
      (await plan('--reprocess', 'completed')).partitions.map((p) => p.action),
      ['run', 'run', 'run'],
    );
    const human = await cli(['plan', file], serverEnv());
    assert.deepEqual(
      human.stdout
        .split('\n')
        .slice(0, 4)
        .map((l) => l.split(/\s+/)),
      [
        ['PARTITION', 'FILES', 'BYTES', 'LAST', 'RUN', 'ACTION'],
        ['2019-01', '3', fresh.partitions[0]!.bytes.toLocaleString('en-US'), 'completed', 'skip'],
        ['2019-02', '3', fresh.partitions[1]!.bytes.toLocaleString('en-US'), 'completed', 'skip'],
        ['2019-03', '0', '0', 'completed', 'skip'],
      ],
    );
    assert.match(human.stdout, /3 partitions: 0 would run, 3 would be skipped \(reprocess failed\)/);
  });

  it('an invalid spec: one line naming the field, exit 2', async () => {
    const dir = tempDir();
    const file = writeSpec(dir, { ...baseSpec('bad'), range: { from: '2019-05', to: '2019-01' } });
    const result = await cli(['start', file], serverEnv());
    assert.equal(result.code, 2);
    assertOneLineError(
      result,
      /^error: invalid backfill spec: range\.to: is before range\.from \(2019-05\)$/,
    );
  });

  it('a missing spec file: one line, exit 2', async () => {
    const result = await cli(['start', '/nonexistent/spec.yaml'], serverEnv());
    assert.equal(result.code, 2);
    assertOneLineError(
      result,
      /^error: invalid backfill spec: cannot read spec file \/nonexistent\/spec\.yaml: ENOENT$/,
    );
  });

  it('an unknown backfill id: one line, exit 3', async () => {
    const result = await cli(['status', 'no-such-backfill'], serverEnv());
    assert.equal(result.code, 3);
    assertOneLineError(result, /^error: no backfill with id "no-such-backfill"/);
  });

  it('an unreachable Temporal server: one line, exit 4', async () => {
    const result = await cli(['status', 'whatever'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(result.code, 4);
    assertOneLineError(result, /^error: cannot reach the Temporal server at 127\.0\.0\.1:1/);
  });

  it('setup registers search attributes idempotently and warns, as start does, when retention is short', async () => {
    const setup = await cli(['setup'], serverEnv());
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stdout, /search attributes already registered/);
    assert.match(setup.stdout, /retention of 30 days or more/);
    await setRetention(env.client.connection, 'default', 1);
    try {
      const warned = await cli(['setup'], serverEnv());
      assert.match(warned.stderr, /^warning: namespace default keeps closed runs 1\.0 days/m);
    } finally {
      await setRetention(env.client.connection, 'default', 30);
    }
  });

  it('bad flags: usage error, exit 2', async () => {
    const result = await cli(['throttle', 'x', '--max-concurrent', 'many'], serverEnv());
    assert.equal(result.code, 2);
    assert.match(result.stderr, /must be an integer/);
  });
});
