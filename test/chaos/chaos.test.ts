/**
 * Chaos: a 48-partition backfill from MinIO while a driver SIGKILLs and restarts workers at random
 * moments, restarts the Temporal dev server on the same SQLite file (once killed, once stopped),
 * and stops MinIO for ~10 s. The target must then equal the oracle computed by the generator.
 *
 * `npm run test:chaos` runs it alone; `npm test` runs it too. CHAOS_SEED replays a schedule,
 * CHAOS_KILLS sets the number of worker kills (default 10).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { getStatus, startBackfill } from '../../client/backfills';
import { oracleLines, prng } from '../../testkit/dataset';
import { prepareTransactionsBackfill, uniqueId } from '../../testkit/fixtures';
import { waitForBackfillClosed } from '../../testkit/inspect';
import { startMinio } from '../../testkit/minio-server';
import { queryFile, targetLines } from '../../testkit/oracle';
import { startTemporalProcess } from '../../testkit/temporal-process';
import { sleep, waitFor } from '../../testkit/wait';
import { startChaosWorkers } from './workers';

const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const kills = Number(process.env.CHAOS_KILLS ?? 10);

type Event = 'kill-worker' | 'kill-server' | 'restart-server' | 'minio-outage';

/** The schedule: every worker kill, two server restarts and one MinIO outage, shuffled by the seed. */
function schedule(random: () => number): Event[] {
  const events: Event[] = [
    ...Array<Event>(kills).fill('kill-worker'),
    'kill-server',
    'restart-server',
    'minio-outage',
  ];
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  return events;
}

const sha256 = (lines: string[]) => createHash('sha256').update(lines.join('\n')).digest('hex');

describe('chaos', () => {
  it(`48 partitions from MinIO survive worker kills, server restarts and an S3 outage (seed ${seed})`, async () => {
    const random = prng(seed);
    const minio = await startMinio();
    const { dir, raw, data, spec, target } = prepareTransactionsBackfill({
      name: 'chaos',
      from: '2016-01',
      to: '2019-12',
      data: { rowsPerPartition: 1200, filesPerPartition: 4, lateUpdateRate: 0.03, gzip: true, seed },
      source: { uri: 's3://lake/raw', endpoint: minio.endpoint, forcePathStyle: true },
      extra: {
        maxConcurrency: 4,
        // Generous attempts: a partition may be hit by several kills and by the S3 outage.
        retry: {
          maximumAttempts: 60,
          initialInterval: '200ms',
          backoffCoefficient: 2,
          maximumInterval: '2s',
        },
      },
    });
    assert.equal(data.partitions.length, 48);
    const temporal = await startTemporalProcess(path.join(dir, 'temporal.sqlite'));
    const workers = startChaosWorkers({
      count: 2,
      address: temporal.address,
      namespace: temporal.namespace,
      taskQueue: uniqueId('chaos'),
      env: {
        AWS_ACCESS_KEY_ID: minio.accessKey,
        AWS_SECRET_ACCESS_KEY: minio.secretKey,
        BACKFILL_STAGING_DIR: path.join(dir, 'staging'),
        BACKFILL_MAX_CONCURRENT_ACTIVITIES: '3',
        // Each file takes a moment, so kills land mid-partition and exercise file-level resume.
        BACKFILL_FAULT_DELAY_AFTER_FILE_MS: '300',
      },
    });
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: temporal.namespace });
    const log = (line: string) => process.stdout.write(`# chaos: ${line}\n`);
    try {
      await minio.createBucket('lake');
      await minio.uploadDir('lake', 'raw/', raw);
      await startBackfill(client, spec, { taskQueue: workers.taskQueue });
      await waitFor('a first running partition', async () => {
        const s = await getStatus(client, spec.name, { partitions: false });
        return s.counts.running > 0;
      });

      const done: Record<Event, number> = {
        'kill-worker': 0,
        'kill-server': 0,
        'restart-server': 0,
        'minio-outage': 0,
      };
      for (const event of schedule(random)) {
        await sleep(1000 + random() * 2500);
        const progress = await getStatus(client, spec.name, { partitions: false }).catch(() => undefined);
        if (progress && progress.workflowStatus !== 'RUNNING') {
          log(`backfill closed before ${event}`);
          break;
        }
        if (event === 'kill-worker') await workers.killOne(random);
        else if (event === 'minio-outage') {
          await minio.halt();
          await sleep(10_000);
          await minio.resume();
        } else {
          await temporal.halt(event === 'kill-server' ? 'SIGKILL' : 'SIGTERM');
          await sleep(1000);
          await temporal.resume();
        }
        done[event] += 1;
        const counts = progress?.counts;
        log(`${event} done (succeeded ${counts?.succeeded ?? '?'}/48, running ${counts?.running ?? '?'})`);
      }

      const status = await waitForBackfillClosed(client, spec.name);
      log(`events: ${JSON.stringify(done)}; worker restarts by exit: ${workers.unexpectedExits()}`);
      assert.equal(done['kill-worker'], kills, 'every worker kill happened while the backfill ran');
      assert.equal(done['kill-server'] + done['restart-server'], 2, 'two server restarts');
      assert.equal(done['minio-outage'], 1, 'one MinIO outage');
      assert.equal(status.workflowStatus, 'COMPLETED');
      assert.equal(status.counts.succeeded, 48, JSON.stringify(status.counts));
      const retried = status.partitions!.filter((p) => (p.stats?.attempts ?? 1) > 1).length;
      log(`partitions loaded more than once: ${retried}`);

      await workers.stop();
      const expected = oracleLines(data.oracle);
      const actual = await targetLines(target);
      const [shape] = await queryFile<{ rows: string; keys: string }>(
        target,
        'SELECT count(*)::VARCHAR AS rows, count(DISTINCT transaction_id)::VARCHAR AS keys FROM transactions',
      );
      const perPartition = await queryFile<{ p: string; n: string }>(
        target,
        "SELECT printf('%04d-%02d', year, month) AS p, count(*)::VARCHAR AS n FROM transactions GROUP BY ALL ORDER BY p",
      );
      const expectedPerPartition = new Map<string, number>();
      for (const row of data.oracle.values()) {
        const key = `${row.year}-${String(row.month).padStart(2, '0')}`;
        expectedPerPartition.set(key, (expectedPerPartition.get(key) ?? 0) + 1);
      }
      log(`oracle: ${expected.length} rows, ${data.oracle.size} keys, sha256 ${sha256(expected)}`);
      log(`target: ${shape!.rows} rows, ${shape!.keys} keys, sha256 ${sha256(actual)}`);
      assert.equal(Number(shape!.rows), expected.length, 'row count');
      assert.equal(Number(shape!.keys), data.oracle.size, 'key set size (no duplicated key)');
      assert.deepEqual(
        Object.fromEntries(perPartition.map((r) => [r.p, Number(r.n)])),
        Object.fromEntries(expectedPerPartition),
        'rows per partition: none missing, none duplicated',
      );
      assert.equal(sha256(actual), sha256(expected), 'checksum over all values');
    } finally {
      await workers.stop();
      await connection.close();
      await temporal.stop();
      await minio.stop();
    }
  });
});
