/**
 * Scale-out into a DuckLake: three worker processes share one 48-partition backfill from MinIO into
 * a lake on MinIO with its catalog in a real PostgreSQL. The data has late updates of keys first
 * seen in other months and flagged deletes; the table must equal an oracle computed in plain
 * TypeScript (merge: one row per key, the latest; overwrite: each partition's own rows). Every
 * worker commits, conflicts happen and are retried, a reader in another process never sees half a
 * partition, the recorded snapshot ids time-travel, and no secret leaves the worker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { parseSpec, type BackfillSpec, type BackfillSpecInput } from '../../common/spec';
import { oracleLines, TARGET_LINES_SQL, type Dataset } from '../../testkit/dataset';
import { runCliProcess } from '../../testkit/cli';
import { startTestEnv, type TestEnv } from '../../testkit/env';
import { uniqueId } from '../../testkit/fixtures';
import { assertNoSecret, waitForBackfillClosed, workflowRecords } from '../../testkit/inspect';
import { lakeTransactionsSpecInput, uploadLakeTransactions } from '../../testkit/lake-dataset';
import { startLakeServers, type LakeLocation, type LakeServers } from '../../testkit/lake-servers';
import { latestPerPartitionLines } from '../../testkit/oracle';
import { spawnWorker, type WorkerProcess } from '../../testkit/processes';

const sha256 = (lines: string[]) => createHash('sha256').update(lines.join('\n')).digest('hex');
const BUCKET = 'lakehouse';

describe('DuckLake: three worker processes, one backfill, one lake', () => {
  let servers: LakeServers;
  let env: TestEnv;
  let data: Dataset;
  let rawDir: string;
  let lakes = 0;
  before(async () => {
    [servers, env] = await Promise.all([startLakeServers(BUCKET), startTestEnv()]);
    ({ raw: rawDir, data } = await uploadLakeTransactions(servers, 11));
    assert.equal(data.partitions.length, 48);
  });
  after(async () => {
    await env?.server.stop();
    await servers?.stop();
  });

  const workerEnv = () => ({
    ...servers.lakeEnv(),
    BACKFILL_MAX_CONCURRENT_ACTIVITIES: '2',
    LOG_LEVEL: 'info',
  });

  const lakeSpec = (
    mode: 'merge' | 'overwrite',
    lake: LakeLocation,
    commitLock: 'catalog' | 'none',
  ): BackfillSpec => {
    const input = lakeTransactionsSpecInput(servers, lake, uniqueId(`lake-${mode}`), { writeMode: mode });
    return parseSpec({
      ...input,
      target: { ...input.target, commitLock } as BackfillSpecInput['target'],
      retry: { maximumAttempts: 10, initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s' },
      heartbeatTimeout: '5s',
      // Merge keeps its snapshots (time travel is checked); overwrite expires them all after the load.
      maintenance: { snapshotRetention: mode === 'merge' ? '7d' : '0s' },
    });
  };

  // Without the commit lock overlapping commits conflict and are re-run; with it they take turns.
  const cases = [
    ['merge', 'none'],
    ['overwrite', 'none'],
    ['merge', 'catalog'],
  ] as const;
  for (const [mode, commitLock] of cases) {
    it(`${mode}, commit lock ${commitLock}: the lake equals the oracle, every worker committed, ${commitLock === 'none' ? 'conflicts were retried' : 'no commit conflicted'}${mode === 'overwrite' ? ', a reader never saw half a partition' : ', snapshot ids time-travel'}`, async () => {
      const lake = servers.newLake(`lake${++lakes}`);
      const spec = lakeSpec(mode, lake, commitLock);
      const taskQueue = uniqueId('lake');
      const server = { address: env.server.address, namespace: env.server.namespace };
      const workers: WorkerProcess[] = [0, 1, 2].map(() => spawnWorker(server, taskQueue, workerEnv()));
      const poller = spawn(process.execPath, [path.join(__dirname, 'lake-poller.js')], {
        env: {
          ...process.env,
          ...workerEnv(),
          LAKE_CATALOG: lake.catalog,
          LAKE_DATA_PATH: lake.dataPath,
          LAKE_S3_ENDPOINT: servers.minio.endpoint,
          LAKE_TABLE: 'transactions',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let polled = '';
      poller.stdout.on('data', (d: Buffer) => (polled += d.toString()));
      const pollerExited = new Promise((r) => poller.once('exit', r));
      try {
        const started = Date.now();
        await startBackfill(env.client, spec, { taskQueue });
        const status = await waitForBackfillClosed(env.client, spec.name);
        const seconds = (Date.now() - started) / 1000;
        assert.equal(status.workflowStatus, 'COMPLETED', JSON.stringify(status.counts));
        assert.equal(status.counts.succeeded, 48, JSON.stringify(status.counts));
        poller.kill('SIGTERM');
        await pollerExited;

        // Every worker committed partitions (its own log says so).
        const committed = workers.map(
          (w) =>
            w.logs.filter((l) => {
              const line = JSON.parse(l) as { msg?: string };
              return line.msg === 'partition loaded';
            }).length,
        );
        const partitions = status.partitions ?? [];
        const conflicts = partitions.reduce((n, p) => n + (p.stats?.conflictsRetried ?? 0), 0);
        process.stdout.write(
          `# ${mode}, commit lock ${commitLock}: ${seconds.toFixed(1)} s; partitions committed per worker ${committed.join(' + ')}; conflicts retried ${conflicts}\n`,
        );
        for (const n of committed) assert.ok(n > 0, `a worker committed nothing: ${committed.join(', ')}`);
        if (commitLock === 'none') assert.ok(conflicts > 0, 'three workers never conflicted');
        else assert.equal(conflicts, 0, 'commits under the lock conflicted');

        const reader = await servers.reader(lake);
        try {
          const expected = mode === 'merge' ? oracleLines(data.oracle) : latestPerPartitionLines(rawDir);
          const actual = (await reader.query<{ line: string }>(TARGET_LINES_SQL('transactions'))).map(
            (r) => r.line,
          );
          if (mode === 'overwrite') actual.sort();
          const [shape] = await reader.query<{ rows: string; keys: string }>(
            'SELECT count(*)::VARCHAR AS rows, count(DISTINCT transaction_id)::VARCHAR AS keys FROM transactions',
          );
          process.stdout.write(
            `# ${mode}: oracle ${expected.length} rows sha256 ${sha256(expected)}; lake ${shape!.rows} rows sha256 ${sha256(actual)}\n`,
          );
          assert.equal(Number(shape!.rows), expected.length, 'row count');
          if (mode === 'merge') assert.equal(Number(shape!.keys), data.oracle.size, 'key set size');
          assert.equal(sha256(actual), sha256(expected), 'checksum over all values');
          assert.deepEqual(actual, expected);

          if (mode === 'merge') {
            // A partition's snapshot: before it, none of its files' rows; at it, some.
            const p = partitions.find((x) => x.key === '2017-06')!;
            const id = p.stats!.snapshotId!;
            assert.ok(Number.isInteger(id) && id > 0, JSON.stringify(p.stats));
            const count = async (at: number) =>
              Number(
                (
                  await reader.query<{ n: string }>(
                    `SELECT count(*)::VARCHAR AS n FROM transactions AT (VERSION => ${Math.trunc(at)}) WHERE _source_file LIKE '%year=2017/month=06/%'`,
                  )
                )[0]!.n,
              );
            const [before, at] = [await count(id - 1), await count(id)];
            process.stdout.write(
              `# 2017-06 committed snapshot ${id}: rows from its files before ${before}, at ${at}\n`,
            );
            assert.equal(before, 0);
            assert.ok(at > 0);
          } else {
            // Each poll saw every partition with 0 rows or its final count, never part of it.
            const final = new Map<string, number>();
            for (const line of expected) {
              const [y, m] = line.split('|').slice(-2);
              const key = `${y}-${m!.padStart(2, '0')}`;
              final.set(key, (final.get(key) ?? 0) + 1);
            }
            const polls = polled
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as Record<string, number>);
            const partial = polls.flatMap((poll) =>
              Object.entries(poll)
                .filter(([k, n]) => n !== 0 && n !== final.get(k))
                .map(([k, n]) => `${k}:${n}`),
            );
            const midway = polls.filter(
              (poll) => Object.keys(poll).length > 0 && Object.keys(poll).length < 48,
            ).length;
            process.stdout.write(
              `# reader: ${polls.length} polls, ${midway} while the load ran, partial partitions seen: ${partial.length}\n`,
            );
            assert.ok(midway > 0, 'the reader never polled during the load');
            assert.deepEqual(partial, []);
          }
        } finally {
          reader.close();
        }

        // No secret in logs, histories, memos, search attributes or the CLI's status output.
        const cli = await runCliProcess(['status', spec.name, '--json'], {
          TEMPORAL_ADDRESS: env.server.address,
          TEMPORAL_NAMESPACE: env.server.namespace,
        });
        assert.equal(cli.code, 0, cli.stderr);
        assert.match(cli.stdout, /"conflictsRetried"/);
        const places = [
          ...workers.map((w) => w.logs.join('\n')),
          cli.stdout,
          cli.stderr,
          polled,
          ...(await workflowRecords(env.client, [
            spec.name,
            ...partitions.map((p) => `${spec.name}/${p.key}`),
          ])),
        ];
        assertNoSecret(places, {
          'PostgreSQL password': servers.pg.password,
          'S3 secret': servers.minio.secretKey,
        });
        assert.ok(
          places.some((t) => t.includes(lake.catalog.slice(9, 30))),
          'the haystack is real',
        );
      } finally {
        poller.kill('SIGTERM');
        for (const w of workers) {
          w.process.kill('SIGTERM');
          await w.exited;
        }
      }
    });
  }
});
