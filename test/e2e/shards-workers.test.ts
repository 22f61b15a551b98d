/**
 * One partition, many workers: a month of 48 files on MinIO, cut into shards of 4 files (12 shards),
 * each shard staged as Parquet on MinIO by whichever of three worker processes picks it, then the
 * partition committed in one transaction — into a DuckDB file, and into a DuckLake (PostgreSQL
 * catalog, data on MinIO). The data's duplicates and newer versions sit in other shards than the
 * rows they replace, so only a commit that dedupes across shards meets the oracle. The shards ran on
 * at least two workers (status says so, and each worker's own log agrees), and once the commit is
 * durable no staged object is left. Into the DuckDB file (one writing process) exactly one worker
 * also polls the spec's target.commitTaskQueue (BACKFILL_COMMIT_TASK_QUEUE): the commit and the
 * maintenance run on it, and maintenance succeeds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { parseSpec } from '../../common/spec';
import type { ShardStats } from '../../common/types';
import { oracleLines, TARGET_LINES_SQL } from '../../testkit/dataset';
import { runCliProcess } from '../../testkit/cli';
import { startTestEnv, type TestEnv } from '../../testkit/env';
import { tempDir, uniqueId } from '../../testkit/fixtures';
import { waitForBackfillClosed } from '../../testkit/inspect';
import { startLakeServers, type LakeServers } from '../../testkit/lake-servers';
import { assertLinesEqual, linesDigest, targetLines } from '../../testkit/oracle';
import { pollersReady } from '../../testkit/pollers';
import { spawnWorker, type WorkerProcess } from '../../testkit/processes';
import {
  generateShardedPartition,
  shardedSpecInput,
  shardLogLines,
  SHARDED_MONTH,
  type ShardedPartition,
} from '../../testkit/sharded-partition';
import { sleep } from '../../testkit/wait';

const BUCKET = 'shards';
const FILES = 48;
const MAX_FILES = 4;

describe('one partition, three workers: shards staged on MinIO, one commit', () => {
  let servers: LakeServers;
  let env: TestEnv;
  let part: ShardedPartition;
  let dir: string;
  before(async () => {
    [servers, env] = await Promise.all([startLakeServers(BUCKET), startTestEnv()]);
    dir = tempDir('shards-e2e-');
    part = generateShardedPartition({ dir, files: FILES, rowsPerFile: 60 });
    assert.equal(await servers.minio.uploadDir(BUCKET, 'raw/', part.raw), FILES);
  });
  after(async () => {
    await env?.server.stop();
    await servers?.stop();
  });

  const cases = ['DuckDB file', 'DuckLake'] as const;
  for (const kind of cases) {
    it(`${kind}: ${FILES} files in ${FILES / MAX_FILES} shards on three workers equal the oracle; no staged file is left`, async () => {
      const name = uniqueId(kind === 'DuckLake' ? 'shards-lake' : 'shards-file');
      const file = path.join(dir, `${name}.duckdb`);
      const lake = kind === 'DuckLake' ? servers.newLake(name.replaceAll('-', '_')) : undefined;
      const stagingPrefix = `staging/${name}/`;
      // The DuckDB file's owner: the one worker that also polls this queue (none for a DuckLake).
      const commitQueue = lake ? undefined : uniqueId('shards-owner');
      const input = shardedSpecInput({
        name,
        source: { uri: `s3://${BUCKET}/raw`, endpoint: servers.minio.endpoint, forcePathStyle: true },
        target: lake ? { ...lake, endpoint: servers.minio.endpoint } : file,
        // The staging endpoint and path style default to the source's.
        staging: { uri: `s3://${BUCKET}/${stagingPrefix}` },
        shards: { maxFiles: MAX_FILES },
      });
      const spec = parseSpec({
        ...input,
        target: commitQueue ? { ...input.target, commitTaskQueue: commitQueue } : input.target,
        retry: { maximumAttempts: 5, initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '2s' },
        heartbeatTimeout: '5s',
      });
      const taskQueue = uniqueId('shards');
      const server = { address: env.server.address, namespace: env.server.namespace };
      const OWNER = 1;
      const workers: WorkerProcess[] = [0, 1, 2].map((i) =>
        spawnWorker(server, taskQueue, {
          ...servers.lakeEnv(),
          ...(commitQueue && i === OWNER ? { BACKFILL_COMMIT_TASK_QUEUE: commitQueue } : {}),
          LOG_LEVEL: 'info',
          // Two shards at a time per worker, each a little slow: the twelve cannot all go to one.
          BACKFILL_MAX_CONCURRENT_ACTIVITIES: '2',
          BACKFILL_FAULT_DELAY_AFTER_FILE_MS: '100',
        }),
      );
      let watching = true;
      let stagedSeen = 0;
      try {
        await pollersReady(env.client, taskQueue, 3);
        if (commitQueue) await pollersReady(env.client, commitQueue, 1, 120_000, true);
        const started = Date.now();
        const handle = await startBackfill(env.client, spec, { taskQueue });
        // Staged objects exist while the load runs (so "none left" below is not vacuous).
        const watcher = (async () => {
          while (watching) {
            const keys = await servers.minio.listKeys(BUCKET, stagingPrefix).catch(() => []);
            stagedSeen = Math.max(stagedSeen, keys.filter((k) => k.endsWith('.parquet')).length);
            await sleep(150);
          }
        })();
        const status = await waitForBackfillClosed(env.client, spec.name, 240_000);
        watching = false;
        await watcher;
        assert.equal(status.workflowStatus, 'COMPLETED', JSON.stringify(status.counts));
        assert.equal(status.counts.succeeded, 1, JSON.stringify(status.counts));
        const { maintenance } = await handle.result();
        process.stdout.write(
          `# ${kind}: loaded in ${((Date.now() - started) / 1000).toFixed(1)} s; maintenance ${JSON.stringify(maintenance)}\n`,
        );
        assert.ok(!('failed' in maintenance), `maintenance failed: ${JSON.stringify(maintenance)}`);
        assert.ok(!('skipped' in maintenance), `maintenance skipped: ${JSON.stringify(maintenance)}`);
        if (commitQueue) {
          // The commit ran in the process that holds the file, and only there.
          const loadedBy = workers.map(
            (w) => w.logs.filter((l) => l.includes('"msg":"partition loaded"')).length,
          );
          assert.deepEqual(loadedBy, [0, 1, 0], 'one commit, on the owner of the file');
        }

        // status --json: the partition's shards, all done, staged on at least two workers.
        const cli = await runCliProcess(['status', spec.name, '--json'], {
          TEMPORAL_ADDRESS: env.server.address,
          TEMPORAL_NAMESPACE: env.server.namespace,
        });
        assert.equal(cli.code, 0, cli.stderr);
        const json = JSON.parse(cli.stdout) as {
          partitions: {
            key: string;
            stats?: { shards?: ShardStats; rowsRead?: number; rowsAccepted?: number };
          }[];
        };
        const partition = json.partitions.find((p) => p.key === SHARDED_MONTH);
        const shards = partition?.stats?.shards;
        assert.ok(shards, `no shard stats in status --json: ${cli.stdout.slice(0, 400)}`);
        process.stdout.write(
          `# ${kind}: shards ${JSON.stringify(shards)}; staged objects seen ${stagedSeen}\n`,
        );
        assert.ok(shards.total >= FILES / MAX_FILES, `${shards.total} shards`);
        assert.equal(shards.done, shards.total);
        assert.equal(shards.reused, 0, 'nothing to reuse in a run without faults');
        const identities = Object.keys(shards.workers);
        assert.ok(identities.length >= 2, `shards ran on ${identities.join(', ')}`);
        assert.equal(
          Object.values(shards.workers).reduce((a, b) => a + b, 0),
          shards.total,
          'every shard counted for one worker',
        );
        assert.ok(stagedSeen > 0, 'no staged Parquet ever appeared under the staging prefix');

        // Each worker's log: one "shard staged" per shard, all shards, by the identity status names.
        const staged = workers.flatMap((w) => shardLogLines(w.logs)).filter((l) => l.msg === 'shard staged');
        assert.deepEqual(
          staged.map((l) => l.shard).sort((a, b) => a - b),
          Array.from({ length: shards.total }, (_, i) => i),
          'each shard staged once',
        );
        for (const line of staged) {
          assert.equal(line.partition, SHARDED_MONTH);
          assert.ok(line.files! >= 1 && line.files! <= MAX_FILES, JSON.stringify(line));
        }
        assert.equal(
          staged.reduce((n, l) => n + l.files!, 0),
          FILES,
          'the shards cover every file once',
        );
        const perWorker: Record<string, number> = {};
        for (const line of staged) perWorker[line.worker] = (perWorker[line.worker] ?? 0) + 1;
        assert.deepEqual(perWorker, shards.workers, 'status and the workers’ logs agree');

        // Nothing staged is left once the commit is durable.
        assert.deepEqual(await servers.minio.listKeys(BUCKET, stagingPrefix), [], 'staged objects left');

        // The target equals the oracle: count, key set, checksum over every value.
        const expected = oracleLines(part.data.oracle);
        let actual: string[];
        if (lake) {
          actual = (await servers.read<{ line: string }>(lake, TARGET_LINES_SQL('transactions'))).map(
            (r) => r.line,
          );
        } else {
          await Promise.all(workers.map((w) => w.kill('SIGTERM'))); // the file is released on exit
          actual = await targetLines(file);
        }
        process.stdout.write(
          `# ${kind}: oracle ${JSON.stringify(linesDigest(expected))}; target ${JSON.stringify(linesDigest(actual))}\n`,
        );
        assertLinesEqual(actual, expected);
        assert.equal(partition?.stats?.rowsRead, part.data.rows, 'rowsRead is every record of every file');
        assert.equal(partition?.stats?.rowsAccepted, expected.length, 'rowsAccepted is the oracle’s rows');
      } finally {
        watching = false;
        for (const w of workers) {
          if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill('SIGTERM');
          await w.exited;
        }
      }
    });
  }
});
