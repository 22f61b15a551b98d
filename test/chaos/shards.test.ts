/**
 * A sharded partition under faults: 80 files on MinIO in 20 shards, staged on MinIO by three worker
 * processes into a DuckLake (PostgreSQL catalog, data on MinIO), while workers are SIGKILLed in the
 * middle of a shard (twice), the partition is cancelled with a third of its shards finished and
 * retried in a new run of the backfill (a new plan, which must reuse them), a worker is killed
 * mid-shard again if one still stages, the worker running the commit is SIGKILLed twice (the
 * commit holds a moment inside its transaction, so the kill lands there), then MinIO stops for
 * ~10 s under the commit's next attempt. The lake must equal the
 * oracle, nothing staged may be left (of either attempt), and no finished shard may be read again.
 *
 * "Finished" is precise here: a shard is finished once its marker (shard-nnnnn/done-<fp>.json) is
 * written — stage-shard.ts writes it last, after the shard's Parquet, and logs "shard staged" only
 * after it; an attempt that finds the marker logs "shard reused" and reads nothing. So across every
 * worker's log (the killed ones' too) each shard has at most one "shard staged" line; a shard whose
 * attempt was killed before its marker was read again (its activity shows a later attempt) but
 * still logged "shard staged" once. The test checks the ordering too: every "shard staged" line is
 * no earlier than its marker's LastModified on MinIO (polled while the load runs).
 *
 * CHAOS_SEED replays the pauses between faults.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { getStatus, retryPartitions, startBackfill } from '../../client/backfills';
import { parseSpec } from '../../common/spec';
import { oracleLines, prng, TARGET_LINES_SQL } from '../../testkit/dataset';
import { startTestEnv } from '../../testkit/env';
import { tempDir, uniqueId } from '../../testkit/fixtures';
import { pendingActivities, waitForBackfillClosed } from '../../testkit/inspect';
import { startLakeServers } from '../../testkit/lake-servers';
import { assertLinesEqual, linesDigest } from '../../testkit/oracle';
import { pollersReady } from '../../testkit/pollers';
import { spawnWorker, type WorkerProcess } from '../../testkit/processes';
import {
  generateShardedPartition,
  shardedSpecInput,
  shardLogLines,
  SHARDED_MONTH,
} from '../../testkit/sharded-partition';
import { sleep, waitFor } from '../../testkit/wait';

const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const BUCKET = 'shardchaos';
const FILES = 80;
const MAX_FILES = 4;
const SHARDS = FILES / MAX_FILES;
const MARKER = /shard-(\d{5})\/done-[0-9a-f]+\.json$/;

describe('a sharded partition under faults', () => {
  it(`kills mid-shard and mid-commit and a MinIO outage: the lake equals the oracle, nothing staged is left, no finished shard is read twice (seed ${seed})`, async () => {
    const random = prng(seed);
    const log = (line: string) => process.stdout.write(`# shard chaos: ${line}\n`);
    const [servers, env] = await Promise.all([startLakeServers(BUCKET), startTestEnv()]);
    /** Every worker process ever started: the killed ones' logs are evidence too. */
    const everyWorker: WorkerProcess[] = [];
    const slots: WorkerProcess[] = [];
    let watching = true;
    try {
      const { raw, data } = generateShardedPartition({
        dir: tempDir('shard-chaos-'),
        files: FILES,
        rowsPerFile: 150,
        seed,
      });
      await servers.minio.uploadDir(BUCKET, 'raw/', raw);
      const lake = servers.newLake('shardchaos');
      const name = uniqueId('shard-chaos');
      const stagingPrefix = `staging/${name}/`;
      const spec = parseSpec({
        ...shardedSpecInput({
          name,
          source: { uri: `s3://${BUCKET}/raw`, endpoint: servers.minio.endpoint, forcePathStyle: true },
          target: { ...lake, endpoint: servers.minio.endpoint },
          staging: { uri: `s3://${BUCKET}/${stagingPrefix}` },
          // Four shards at a time: the shards last long enough for every fault to land among them.
          shards: { maxFiles: MAX_FILES, concurrency: 4 },
        }),
        retry: {
          maximumAttempts: 60,
          initialInterval: '200ms',
          backoffCoefficient: 2,
          maximumInterval: '2s',
        },
        heartbeatTimeout: '3s',
      });
      const taskQueue = uniqueId('shard-chaos');
      const server = { address: env.server.address, namespace: env.server.namespace };
      const workerEnv = {
        ...servers.lakeEnv(),
        LOG_LEVEL: 'info',
        BACKFILL_MAX_CONCURRENT_ACTIVITIES: '2',
        // Each file takes a moment (a shard about 2 s), and each commit waits 4 s inside its
        // transaction: kills land mid-shard and mid-commit.
        BACKFILL_FAULT_DELAY_AFTER_FILE_MS: '500',
        BACKFILL_FAULT_DELAY_BEFORE_COMMIT_MS: '4000',
      };
      const launch = (i: number) => {
        slots[i] = spawnWorker(server, taskQueue, workerEnv);
        everyWorker.push(slots[i]);
      };
      for (let i = 0; i < 3; i++) launch(i);
      await pollersReady(env.client, taskQueue, 3);

      // Every marker seen on MinIO while the load runs, with its LastModified (ms).
      const markers = new Map<number, number>();
      const watcher = (async () => {
        while (watching) {
          try {
            const pages = paginateListObjectsV2(
              { client: servers.minio.client },
              { Bucket: BUCKET, Prefix: stagingPrefix },
            );
            for await (const page of pages)
              for (const o of page.Contents ?? []) {
                const m = MARKER.exec(o.Key ?? '');
                if (m && !markers.has(Number(m[1]))) markers.set(Number(m[1]), o.LastModified!.getTime());
              }
          } catch {
            // MinIO is down: the outage.
          }
          await sleep(200);
        }
      })();

      const handle = await startBackfill(env.client, spec, { taskQueue });
      const child = `${spec.name}/${SHARDED_MONTH}`;
      const stagedLines = () =>
        everyWorker.flatMap((w) => shardLogLines(w.logs)).filter((l) => l.msg === 'shard staged');
      /** The slot of a worker running an activity of `type` (its heartbeat at `stage`, if given). */
      const runningOn = async (type: string, stage?: string): Promise<number> => {
        const running = (await pendingActivities(env.client, child)).filter(
          (a) => a.type === type && a.started && (stage === undefined || a.stage === stage),
        );
        return slots.findIndex((w) => running.some((a) => a.workerPid === w.process.pid));
      };
      const killSlot = async (i: number) => {
        await slots[i]!.kill('SIGKILL');
        launch(i);
      };
      /** SIGKILLs the worker running an activity of `type` (waiting up to `ms` for one), starts another. */
      const killRunning = async (type: string, ms: number): Promise<boolean> => {
        const deadline = Date.now() + ms;
        for (;;) {
          const i = await runningOn(type);
          if (i >= 0) {
            await killSlot(i);
            return true;
          }
          if (Date.now() > deadline) return false;
          await sleep(100);
        }
      };

      await waitFor('a first finished shard', () => Promise.resolve(stagedLines().length > 0));
      let midShard = 0;
      const killShard = async (label: string, ms: number) => {
        if (await killRunning('stageShard', ms)) midShard += 1;
        log(`${label}; shards staged so far ${stagedLines().length}/${SHARDS}`);
      };
      for (let k = 0; k < 2; k++) {
        await killShard(`kill ${k + 1} mid-shard`, 10_000);
        await sleep(800 + random() * 1500);
      }

      // A second attempt of the partition: cancelled with a third of its shards finished, then
      // retried in a new run of the backfill — a new plan that must reuse what the first finished.
      await waitFor('a third of the shards finished', () =>
        Promise.resolve(new Set(stagedLines().map((l) => l.shard)).size >= SHARDS / 3),
      );
      const atCancel = new Set(stagedLines().map((l) => l.shard)).size;
      const cancelAt = Date.now();
      await handle.executeUpdate('cancelPartitions', { args: [{ partitions: [SHARDED_MONTH] }] });
      const cancelled = await waitForBackfillClosed(env.client, spec.name, 120_000);
      assert.equal(cancelled.counts.cancelled, 1, JSON.stringify(cancelled.counts));
      const finishedFirst = new Set(stagedLines().map((l) => l.shard));
      log(
        `cancel: ${atCancel} shards finished when asked, ${finishedFirst.size} when the backfill closed ${((Date.now() - cancelAt) / 1000).toFixed(1)} s later`,
      );
      const retried = await retryPartitions(env.client, spec.name, { failed: true }, taskQueue);
      assert.deepEqual(retried, { affected: [SHARDED_MONTH], newRun: true });
      log('retried in a new run');

      // Then whatever runs: one more shard kill if a shard is still staging, and two kills of the
      // worker whose commit is inside its transaction (its heartbeat says committing; the commit
      // holds 4 s there, longer than the heartbeats' 2.4 s throttle, so one is seen).
      let midCommit = 0;
      let shardKilled = false;
      const deadline = Date.now() + 180_000;
      while (midCommit < 2 && Date.now() < deadline) {
        const committing = await runningOn('commitShards', 'committing');
        if (committing >= 0) {
          await killSlot(committing);
          midCommit += 1;
          log(`kill mid-commit ${midCommit}`);
          continue;
        }
        const staging = shardKilled ? -1 : await runningOn('stageShard');
        if (staging >= 0) {
          await killSlot(staging);
          shardKilled = true;
          midShard += 1;
          log(`kill 3 mid-shard; shards staged so far ${stagedLines().length}/${SHARDS}`);
        }
        await sleep(100);
      }

      // Then MinIO (sources, staging, the lake's data files) goes away for 10 s: right after the
      // second commit kill, so the commit's next attempt meets it. After the kills, not before: a
      // retried run that finds every shard finished commits at once, and an outage before the
      // kills could let that commit end before any kill (seen under a loaded CI).
      await servers.minio.halt();
      log(`MinIO down; shards staged so far ${stagedLines().length}/${SHARDS}`);
      await sleep(10_000);
      await servers.minio.resume();
      log('MinIO back');

      const status = await waitForBackfillClosed(env.client, spec.name, 240_000);
      watching = false;
      await watcher;
      assert.equal(status.workflowStatus, 'COMPLETED', JSON.stringify(status.counts));
      assert.equal(status.counts.succeeded, 1, JSON.stringify(status.counts));
      const shards = (await getStatus(env.client, spec.name)).partitions?.[0]?.stats?.shards;
      log(`status shards ${JSON.stringify(shards)}; kills mid-shard ${midShard}, mid-commit ${midCommit}`);
      assert.ok(midShard >= 2, `only ${midShard} kills landed mid-shard`);
      assert.equal(midCommit, 2, 'both commit kills landed on a running commit');
      assert.equal(shards?.total, SHARDS);
      assert.equal(shards?.done, SHARDS);

      // No finished shard read twice: at most one "shard staged" per shard over every worker's log,
      // each no earlier than its marker; every shard finished (staged, or found finished and reused).
      const staged = stagedLines();
      const reused = everyWorker
        .flatMap((w) => shardLogLines(w.logs))
        .filter((l) => l.msg === 'shard reused');
      const stagedCount = new Map<number, number>();
      for (const l of staged) stagedCount.set(l.shard, (stagedCount.get(l.shard) ?? 0) + 1);
      const twice = [...stagedCount].filter(([, n]) => n > 1).map(([s]) => s);
      log(
        `"shard staged" lines ${staged.length}, "shard reused" ${reused.length}, markers seen ${markers.size}`,
      );
      assert.deepEqual(twice, [], 'shards staged again after they had finished');
      for (let s = 0; s < SHARDS; s++) {
        assert.ok(stagedCount.has(s) || reused.some((l) => l.shard === s), `shard ${s} never finished`);
        assert.ok(markers.has(s), `no marker of shard ${s} was ever seen`);
      }
      for (const l of staged)
        assert.ok(
          l.time >= markers.get(l.shard)! - 1000,
          `shard ${l.shard} logged "staged" before its marker was written`,
        );
      // The retry's new plan reused every shard the cancelled attempt had finished, reading none again.
      const reusedShards = new Set(reused.map((l) => l.shard));
      assert.deepEqual(
        [...finishedFirst].filter((s) => !reusedShards.has(s)),
        [],
        'finished shards of the first attempt not reused by the second',
      );
      assert.ok((shards?.reused ?? 0) >= finishedFirst.size, JSON.stringify(shards));
      for (const l of reused)
        assert.ok(
          l.time >= markers.get(l.shard)! - 1000,
          `shard ${l.shard} reused before its marker existed`,
        );

      // A killed shard was read again by a later attempt (it had not finished): the history says so.
      let retriedShards = 0;
      for await (const run of env.client.workflow.list({ query: `WorkflowId = '${child}'` })) {
        const history = await env.client.workflow.getHandle(child, run.runId).fetchHistory();
        const scheduled = new Map<number, string>();
        for (const e of history.events ?? []) {
          const s = e.activityTaskScheduledEventAttributes;
          if (s) scheduled.set(Number(e.eventId), s.activityType?.name ?? '');
          const started = e.activityTaskStartedEventAttributes;
          if (
            started &&
            scheduled.get(Number(started.scheduledEventId)) === 'stageShard' &&
            (started.attempt ?? 1) > 1
          )
            retriedShards += 1;
        }
      }
      log(`stageShard activities that needed a later attempt: ${retriedShards}`);
      assert.ok(retriedShards >= 1, 'no shard attempt was retried after the kills');

      // Nothing staged is left under the staging prefix once the commit is durable.
      assert.deepEqual(await servers.minio.listKeys(BUCKET, stagingPrefix), [], 'staged objects left');

      const expected = oracleLines(data.oracle);
      const actual = (await servers.read<{ line: string }>(lake, TARGET_LINES_SQL('transactions'))).map(
        (r) => r.line,
      );
      log(`oracle ${JSON.stringify(linesDigest(expected))}; lake ${JSON.stringify(linesDigest(actual))}`);
      assertLinesEqual(actual, expected);
    } finally {
      watching = false;
      for (const w of slots) {
        if (w.process.exitCode === null && w.process.signalCode === null) w.process.kill('SIGTERM');
        await w.exited;
      }
      await env.server.stop();
      await servers.stop();
    }
  });
});
