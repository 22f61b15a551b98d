import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getStatus, startBackfill } from '../../client/backfills';
import { useTestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill } from '../../testkit/fixtures';
import { assertNoSecret, workflowRecords } from '../../testkit/inspect';
import { startMinio } from '../../testkit/minio-server';
import { freePort } from '../../testkit/ports';
import { spawnWorker } from '../../testkit/processes';
import { waitFor } from '../../testkit/wait';
import { retriedPartitions, startOnFirstWorker } from '../../testkit/worker-handover';

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{}`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe('operating the worker', () => {
  const env = useTestEnv();

  it('metrics equal the run, logs are JSON lines with workflowId and partition, and the S3 secret in use appears nowhere', async () => {
    // The worker reads from a real MinIO whose secret key signs every request: a secret the worker
    // really holds, not one it never touches.
    const minio = await startMinio();
    const { raw, data, spec, taskQueue } = prepareTransactionsBackfill({
      name: 'ops',
      from: '2020-01',
      to: '2020-02',
      specTo: '2020-03',
      data: { rowsPerPartition: 700, duplicateRate: 0.1 },
      source: 's3://ops/raw',
    });
    const SECRET = minio.secretKey;
    const port = await freePort();
    const worker = spawnWorker(env.server, taskQueue, {
      BACKFILL_METRICS_PORT: String(port),
      LOG_LEVEL: 'trace',
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_ACCESS_KEY_ID: minio.accessKey,
      BACKFILL_S3_ENDPOINT: minio.endpoint,
      BACKFILL_S3_FORCE_PATH_STYLE: 'true',
    });
    try {
      await minio.createBucket('ops');
      assert.equal(await minio.uploadDir('ops', 'raw/', raw), data.files);
      await waitFor(
        'healthz',
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200,
      );
      const summary = await (await startBackfill(env.client, spec, { taskQueue })).result();
      assert.equal(summary.counts.succeeded + summary.counts.empty, 3);

      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.equal(metricValue(metrics, 'backfill_partitions_started_total'), 3);
      assert.equal(metricValue(metrics, 'backfill_partitions_succeeded_total'), 3);
      assert.equal(metricValue(metrics, 'backfill_partitions_cancelled_total'), 0);
      assert.equal(metricValue(metrics, 'backfill_rows_read_total'), data.rows);
      assert.equal(metricValue(metrics, 'backfill_rows_read_total'), summary.totals.rowsRead);
      assert.equal(metricValue(metrics, 'backfill_rows_accepted_total'), summary.totals.rowsAccepted);
      assert.equal(metricValue(metrics, 'backfill_rows_written_total'), summary.totals.rowsWritten);
      assert.equal(metricValue(metrics, 'backfill_rows_rejected_total'), 0);
      assert.equal(metricValue(metrics, 'backfill_files_processed_total'), data.files);
      assert.equal(metricValue(metrics, 'backfill_bytes_downloaded_total'), summary.totals.bytes);
      assert.equal(metricValue(metrics, 'backfill_merge_duration_seconds_count'), 2);
      assert.match(metrics, /^# TYPE backfill_s3_request_errors_total counter$/m);
      assert.doesNotMatch(metrics, /^backfill_s3_request_errors_total\S* [1-9]/m, 'no S3 request failed');
      assert.match(metrics, /^temporal_/m, "the SDK runtime's own metrics are appended");

      const lines = worker.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      const loaded = lines.filter((l) => l.msg === 'partition loaded');
      assert.deepEqual(loaded.map((l) => l.partition).sort(), ['2020-01', '2020-02']);
      for (const l of loaded) {
        assert.equal(l.workflowId, `${spec.name}/${String(l.partition)}`);
        assert.match(String(l.runId), /^[0-9a-f-]{36}$/);
        assert.equal(l.attempt, 1);
      }
      // Every object is logged with its size and ETag as MinIO reports them.
      const staged = lines.filter((l) => l.msg === 'file staged');
      assert.equal(staged.length, data.files);
      for (const l of staged) assert.match(String(l.etag), /^"[0-9a-f]{32}"$/);
      assert.equal(
        staged.reduce((sum, l) => sum + Number(l.bytes), 0),
        summary.totals.bytes,
      );
      // The SDK's own worker logs arrive through the same pino logger (as JSON lines, tagged).
      const sdk = lines.filter((l) => l.component === 'temporal-sdk');
      assert.ok(
        sdk.some((l) => l.msg === 'Worker state changed' && l.state === 'RUNNING'),
        `SDK log lines: ${JSON.stringify(sdk.slice(0, 3))}`,
      );

      const ids = [spec.name, `${spec.name}/2020-01`, `${spec.name}/2020-02`, `${spec.name}/2020-03`];
      const places = [worker.logs.join('\n'), ...(await workflowRecords(env.client, ids))];
      assertNoSecret(places, { 'S3 secret': SECRET });
      assert.ok(places[1]!.includes(spec.name), 'the haystack is real');
    } finally {
      await worker.kill();
      await minio.stop();
    }
  });

  it('SIGTERM during a running partition: the worker exits within the grace period, the load is retried elsewhere, the target equals the oracle', async () => {
    const run = await startOnFirstWorker(env, {
      name: 'sigterm',
      from: '2020-04',
      to: '2020-05',
      data: { rowsPerPartition: 600 },
      firstWorkerEnv: { BACKFILL_FAULT_DELAY_BEFORE_COMMIT_MS: '60000', BACKFILL_SHUTDOWN_GRACE: '2s' },
    });
    const { spec } = run.backfill;
    await waitFor(
      'a partition mid-load',
      async () => (await getStatus(env.client, spec.name, { partitions: false })).counts.running > 0,
    );
    await new Promise((r) => setTimeout(r, 2000));
    const signalled = Date.now();
    const code = await run.first.kill('SIGTERM');
    const exitMs = Date.now() - signalled;
    assert.ok(exitMs < 10_000, `exited ${exitMs} ms after SIGTERM (grace 2 s)`);
    assert.equal(code, 0);

    const summary = await run.finishOnNewWorker();
    assert.equal(summary.counts.succeeded, 2);
    assert.ok(retriedPartitions(summary) > 0, 'a load was retried on the second worker');
  });
});
