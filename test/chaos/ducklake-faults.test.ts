/**
 * DuckLake under faults: three worker processes share a 48-partition backfill into a lake (catalog
 * in a real PostgreSQL, data on MinIO) while workers are SIGKILLed — at least one in the middle of a
 * commit, after its data files were written and before the catalog recorded them — and PostgreSQL
 * crashes (immediate shutdown) and comes back mid-run. The table must equal the oracle, and after
 * maintenance every file under the lake's data path must be one the catalog knows: the killed
 * writers' orphaned files are gone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { getStatus, startBackfill } from '../../client/backfills';
import type { backfillWorkflow } from '../../workflows';
import { parseSpec } from '../../common/spec';
import { oracleLines, prng, TARGET_LINES_SQL } from '../../testkit/dataset';
import { catalogFiles } from '../../testkit/ducklake-reader';
import { startTestEnv } from '../../testkit/env';
import { uniqueId } from '../../testkit/fixtures';
import { waitForBackfillClosed } from '../../testkit/inspect';
import { lakeTransactionsSpecInput, uploadLakeTransactions } from '../../testkit/lake-dataset';
import { startLakeServers } from '../../testkit/lake-servers';
import { spawnWorker, type WorkerProcess } from '../../testkit/processes';

const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const kills = Number(process.env.CHAOS_KILLS ?? 6);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (lines: string[]) => createHash('sha256').update(lines.join('\n')).digest('hex');
const BUCKET = 'lakehouse';

describe('DuckLake under faults', () => {
  it(`worker kills (one mid-commit) and a PostgreSQL crash leave the lake equal to the oracle and no orphaned file (seed ${seed})`, async () => {
    const random = prng(seed);
    const log = (line: string) => process.stdout.write(`# lake faults: ${line}\n`);
    const [servers, env] = await Promise.all([startLakeServers(BUCKET), startTestEnv()]);
    const workers: WorkerProcess[] = [];
    try {
      const { data } = await uploadLakeTransactions(servers, seed);
      const lake = servers.newLake('faults');
      const taskQueue = uniqueId('lake-faults');
      const server = { address: env.server.address, namespace: env.server.namespace };
      const workerEnv = {
        ...servers.lakeEnv(),
        BACKFILL_MAX_CONCURRENT_ACTIVITIES: '2',
        // Each commit waits inside its transaction, data files already written: kills land mid-commit.
        BACKFILL_FAULT_DELAY_BEFORE_COMMIT_MS: '400',
      };
      for (let i = 0; i < 3; i++) workers.push(spawnWorker(server, taskQueue, workerEnv));
      const spec = parseSpec({
        ...lakeTransactionsSpecInput(servers, lake, uniqueId('lake-faults')),
        retry: {
          maximumAttempts: 60,
          initialInterval: '200ms',
          backoffCoefficient: 2,
          maximumInterval: '2s',
        },
        // Heartbeats reach the server at most every 0.8 × this: short enough that a commit's
        // 'committing' stage is seen while it lasts.
        heartbeatTimeout: '2s',
        maintenance: { snapshotRetention: '0s' },
      });
      await startBackfill(env.client, spec, { taskQueue });

      /** The worker (index) running a partition whose heartbeat says it is committing, if any. */
      const committingWorker = async (): Promise<number | undefined> => {
        const status = await getStatus(env.client, spec.name);
        for (const p of status.partitions ?? []) {
          if (p.status !== 'running') continue;
          const description = await env.client.workflow
            .getHandle(`${spec.name}/${p.key}`)
            .describe()
            .catch(() => undefined);
          for (const pending of description?.raw.pendingActivities ?? []) {
            const payload = pending.heartbeatDetails?.payloads?.[0];
            const details = payload
              ? env.client.options.loadedDataConverter.payloadConverter.fromPayload<{ stage?: string }>(
                  payload,
                )
              : undefined;
            const pid = Number((pending.lastWorkerIdentity ?? '').split('@')[0]);
            const index = workers.findIndex((w) => w.process.pid === pid);
            if (details?.stage === 'committing' && index >= 0) return index;
          }
        }
        return undefined;
      };
      const killAt = async (index: number) => {
        const w = workers[index]!;
        w.process.kill('SIGKILL');
        await w.exited;
        workers[index] = spawnWorker(server, taskQueue, workerEnv);
      };

      let midCommit = 0;
      let done = 0;
      const restartAfter = 2 + Math.floor(random() * (kills - 2));
      for (let k = 0; k < kills; k++) {
        await sleep(1500 + random() * 2000);
        const s = await getStatus(env.client, spec.name, { partitions: false });
        if (s.workflowStatus !== 'RUNNING') break;
        // The first kills wait for a commit to be under way; later ones hit whatever runs.
        let index: number | undefined;
        for (let tries = 0; index === undefined && tries < (k < 2 ? 100 : 1); tries++) {
          index = await committingWorker();
          if (index === undefined && k < 2) await sleep(100);
        }
        if (index !== undefined) midCommit += 1;
        await killAt(index ?? Math.floor(random() * workers.length));
        done += 1;
        log(`kill ${done}${index !== undefined ? ' (mid-commit)' : ''}: succeeded ${s.counts.succeeded}/48`);
        if (k === restartAfter) {
          servers.pg.halt({ mode: 'immediate' });
          await sleep(3000);
          servers.pg.resume();
          log('PostgreSQL crashed (immediate) and restarted');
        }
      }
      const status = await waitForBackfillClosed(env.client, spec.name);
      const conflicts = (status.partitions ?? []).reduce((n, p) => n + (p.stats?.conflictsRetried ?? 0), 0);
      const retried = (status.partitions ?? []).filter((p) => (p.stats?.attempts ?? 1) > 1).length;
      log(
        `kills ${done} (${midCommit} mid-commit); partitions retried ${retried}; conflicts retried ${conflicts}`,
      );
      assert.ok(done >= 5, `only ${done} kills happened while the backfill ran`);
      assert.ok(midCommit >= 1, 'no kill landed during a commit');
      assert.equal(status.workflowStatus, 'COMPLETED', JSON.stringify(status.counts));
      assert.equal(status.counts.succeeded, 48);
      const summary = await env.client.workflow.getHandle<typeof backfillWorkflow>(spec.name).result();
      log(`maintenance: ${JSON.stringify(summary.maintenance)}`);
      const steps = 'steps' in summary.maintenance ? summary.maintenance.steps : [];
      const removed = Number(/delete orphaned files: (\d+)/.exec(steps.join('\n'))?.[1] ?? 0);
      // A kill mid-commit leaves the data files it had written and no catalog entry for them.
      assert.ok(removed >= 1, `maintenance removed no orphaned file: ${JSON.stringify(summary.maintenance)}`);

      const reader = await servers.reader(lake);
      try {
        const expected = oracleLines(data.oracle);
        const actual = (await reader.query<{ line: string }>(TARGET_LINES_SQL('transactions'))).map(
          (r) => r.line,
        );
        log(
          `oracle ${expected.length} rows sha256 ${sha256(expected)}; lake ${actual.length} rows sha256 ${sha256(actual)}`,
        );
        assert.equal(actual.length, expected.length, 'row count');
        assert.equal(sha256(actual), sha256(expected), 'checksum over all values');

        const known = await catalogFiles(reader, lake.dataPath);
        const inBucket = await servers.dataFiles(lake);
        const orphans = inBucket.filter((f) => !known.has(f));
        log(
          `files: ${inBucket.length} in the bucket, ${known.size} in the catalog, orphans ${orphans.length}`,
        );
        assert.ok(inBucket.length > 0);
        assert.deepEqual(orphans, []);
      } finally {
        reader.close();
      }
    } finally {
      for (const w of workers) {
        w.process.kill('SIGTERM');
        await w.exited;
      }
      await env.server.stop();
      await servers.stop();
    }
  });
});
