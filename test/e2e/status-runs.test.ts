import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateTransactions } from '../../testkit/dataset';
import { runCli } from '../../testkit/cli';
import { useTestEnv } from '../../testkit/env';
import { tempDir, uniqueId } from '../../testkit/fixtures';
import { assertTargetEqualsOracle } from '../../testkit/oracle';
import { transactionsSpec } from '../../testkit/specs';
import { waitFor } from '../../testkit/wait';
import { startWorker } from '../../testkit/worker';

interface StatusJson {
  total: number;
  runs: number;
  source: string;
  hint?: string;
  counts: Record<string, number>;
  totals: { rowsRead: number; rowsAccepted: number };
  partitions: {
    key: string;
    status: string;
    run?: number;
    runId?: string;
    stats?: { rowsRead: number; durationMs: number };
  }[];
}

describe('status reads a backfill across its runs, and from the server when no worker runs', () => {
  const env = useTestEnv();

  it('after a retry of one partition of a finished 24-partition backfill, status shows 24 done, each with its stats and run', async () => {
    const dir = tempDir();
    const raw = path.join(dir, 'raw');
    const data = generateTransactions({ dir: raw, from: '2019-01', to: '2020-12', rowsPerPartition: 40 });
    const target = path.join(dir, 'warehouse.duckdb');
    const spec = transactionsSpec({
      name: uniqueId('runs'),
      source: raw,
      target,
      from: '2019-01',
      to: '2020-12',
      extra: { maxConcurrency: 6 },
    });
    const specFile = path.join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const worker = await startWorker(env);
    try {
      const first = await runCli(env, worker.taskQueue, ['start', specFile, '--wait']);
      assert.equal(first.code, 0, first.err.join('\n'));
      const retry = await runCli(env, worker.taskQueue, ['retry', spec.name, '--partition', '2019-05']);
      assert.deepEqual(retry.out, ['retrying: 2019-05 (in a new run of the backfill)']);
      const watched = await runCli(env, worker.taskQueue, ['watch', spec.name]);
      assert.equal(watched.code, 0, watched.err.join('\n'));
      assert.match(watched.out.join('\n'), /24 partitions over 2 runs: 24 succeeded/);

      const status = await runCli(env, worker.taskQueue, ['status', spec.name, '--json']);
      assert.equal(status.code, 0, status.err.join('\n'));
      const parsed = JSON.parse(status.out.join('\n')) as StatusJson;
      assert.equal(parsed.total, 24);
      assert.equal(parsed.runs, 2);
      assert.equal(parsed.counts.succeeded, 24, JSON.stringify(parsed.counts));
      assert.equal(parsed.counts.skipped, 0);
      assert.equal(parsed.totals.rowsRead, data.rows, 'totals over each partition’s latest load');
      for (const p of parsed.partitions) {
        assert.equal(p.status, 'succeeded', p.key);
        assert.ok((p.stats?.rowsRead ?? 0) > 0 && (p.stats?.durationMs ?? 0) > 0, `${p.key} keeps its stats`);
        assert.equal(p.run, p.key === '2019-05' ? 2 : 1, p.key);
        assert.ok(p.runId, p.key);
      }
      const runIds = new Set(parsed.partitions.map((p) => p.runId));
      assert.equal(runIds.size, 2);

      // The parent's UI details (what the UI's "User Metadata" shows) merge the runs the same way.
      const metadata = await env.client.workflow
        .getHandle(spec.name)
        .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      const details = metadata.currentDetails ?? '';
      assert.match(details, new RegExp(`^## Backfill ${spec.name} — finished\n`), details);
      assert.match(details, /\*\*24 \/ 24\*\* partitions done over 2 runs/, details);
      assert.ok(
        details.includes(`| 24 | 0 | 0 | 0 | 0 | ${data.rows} | ${parsed.totals.rowsAccepted} |`),
        details,
      );

      const human = await runCli(env, worker.taskQueue, ['status', spec.name]);
      const lines = human.out.join('\n').split('\n');
      assert.match(lines[0]!, /^PARTITION\s+STATUS\s+RUN\s+FILES/);
      assert.equal(lines.filter((l) => /^20\d\d-\d\d\s+succeeded\s+[12]\s/.test(l)).length, 24);
      assert.match(
        lines.find((l) => l.startsWith('2019-05'))!,
        /^2019-05\s+succeeded\s+2\s/,
      );
      assert.match(human.out.join('\n'), /— 24 partitions over 2 runs: 24 succeeded\n/);

      const list = await runCli(env, worker.taskQueue, ['list', '--json']);
      const row = (
        JSON.parse(list.out.join('\n')) as (Pick<StatusJson, 'runs' | 'total' | 'counts' | 'totals'> & {
          backfillId: string;
        })[]
      ).filter((r) => r.backfillId === spec.name);
      assert.deepEqual(
        row.map((r) => [r.runs, r.total, r.counts.succeeded, r.totals.rowsRead]),
        [[2, 24, 24, data.rows]],
        'one row per backfill, its runs folded, with totals over them',
      );
      const listed = await runCli(env, worker.taskQueue, ['list']);
      const listLines = listed.out.join('\n').split('\n');
      const header = listLines[0]!;
      assert.match(
        header,
        /^BACKFILL\s+STATUS\s+RUNS\s+PARTITIONS\s+SUCCEEDED\s+FAILED\s+ROWS READ\s+ACCEPTED\s+STARTED/,
      );
      const line = listLines.find((l) => l.startsWith(`${spec.name} `)) ?? listLines.join('\n');
      assert.match(
        line,
        new RegExp(
          `^${spec.name}\\s+COMPLETED\\s+2\\s+24\\s+24\\s+0\\s+${data.rows.toLocaleString('en-US')}\\s`,
        ),
      );
    } finally {
      await worker.stop();
    }
    await assertTargetEqualsOracle(target, data.oracle);
  });

  it('with every worker stopped, status prints the partition table from the server and the hint, exit 0', async () => {
    const dir = tempDir();
    const raw = path.join(dir, 'raw');
    generateTransactions({ dir: raw, from: '2019-01', to: '2019-04', rowsPerPartition: 40 });
    const spec = transactionsSpec({
      name: uniqueId('noworker'),
      source: raw,
      target: path.join(dir, 'warehouse.duckdb'),
      from: '2019-01',
      to: '2019-04',
      extra: { maxConcurrency: 1 },
    });
    const specFile = path.join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    // Loads after the first take long enough to stop the worker with one partition done.
    let loads = 0;
    const worker = await startWorker(env, {
      faults: { delayBeforeCommitMs: () => (++loads > 1 ? 60_000 : 0) },
    });
    let stopped = false;
    try {
      const started = await runCli(env, worker.taskQueue, ['start', specFile]);
      assert.equal(started.code, 0, started.err.join('\n'));
      await waitFor('one partition to succeed', async () => {
        const s = await runCli(env, worker.taskQueue, ['status', spec.name, '--json']);
        return s.code === 0 && (JSON.parse(s.out.join('\n')) as StatusJson).counts.succeeded === 1;
      });
      await worker.stop();
      stopped = true;

      const status = await runCli(env, worker.taskQueue, ['status', spec.name]);
      assert.equal(status.code, 0, status.err.join('\n'));
      const lines = status.out.join('\n').split('\n');
      assert.match(lines[0]!, /^PARTITION\s+STATUS\s+FILES/);
      assert.match(
        lines[1]!,
        /^2019-01\s+succeeded\s+4\s+[\d,]+\s+41\s/,
        'the finished child, with its stats',
      );
      assert.match(lines[2]!, /^2019-02\s+running$/);
      assert.match(lines[3]!, /^2019-03\s+pending$/);
      assert.match(lines[4]!, /^2019-04\s+pending$/);
      assert.match(lines[5]!, /— 4 partitions: 1 succeeded, 1 running, 2 pending/);
      assert.ok(
        status.err.some((l) => /view is from the server/.test(l)),
        status.err.join('\n'),
      );
      assert.ok(
        status.err.includes(
          `hint: no worker is polling task queue \`${worker.taskQueue}\` — start one with \`backfill worker\``,
        ),
        status.err.join('\n'),
      );
      const json = JSON.parse(
        (await runCli(env, worker.taskQueue, ['status', spec.name, '--json'])).out.join('\n'),
      ) as StatusJson;
      assert.equal(json.source, 'server');
      assert.equal(json.counts.succeeded, 1);
    } finally {
      if (!stopped) await worker.stop();
      await env.client.workflow.getHandle(spec.name).terminate('test over');
    }
  });
});
