import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Source } from '../../loading/sources';
import { startBackfill } from '../../client/backfills';
import { createS3Source, s3ClientFactory } from '../../loading/sources/s3-source';
import { parseSpec } from '../../common/spec';
import { BackfillError } from '../../common/failures';
import { startTestEnv, type TestEnv } from '../../testkit/env';
import { prepareTransactionsBackfill, tempDir } from '../../testkit/fixtures';
import { createLoader } from '../../testkit/loader';
import { startMinio, type Minio } from '../../testkit/minio-server';
import { assertTargetEqualsOracle } from '../../testkit/oracle';
import { freePort } from '../../testkit/ports';
import { targetFile, transactionsSpecInput } from '../../testkit/specs';
import { withWorker } from '../../testkit/worker';

describe('S3 source against a real MinIO', () => {
  let minio: Minio;
  let env: TestEnv;
  before(async () => {
    minio = await startMinio();
    // The AWS SDK's default credential chain reads these, as a worker's would.
    process.env.AWS_ACCESS_KEY_ID = minio.accessKey;
    process.env.AWS_SECRET_ACCESS_KEY = minio.secretKey;
    env = await startTestEnv();
  });
  after(async () => {
    await env?.server.stop();
    await minio?.stop();
  });

  const s3Source = (bucket: string) => ({
    uri: `s3://${bucket}/raw`,
    endpoint: minio.endpoint,
    forcePathStyle: true,
  });
  const s3Spec = (bucket: string, extra: object = {}) =>
    parseSpec({
      ...transactionsSpecInput({
        name: 's3',
        source: s3Source(bucket),
        target: path.join(tempDir(), 't.duckdb'),
        from: '2019-01',
        to: '2019-03',
      }),
      retry: { maximumAttempts: 2, initialInterval: '100ms' },
      heartbeatTimeout: '3s',
      ...extra,
    });

  it('lists more than 1,000 objects of a partition (pagination), skips marker files, downloads exact bytes', async () => {
    await minio.createBucket('many');
    const lines: string[] = [];
    for (let i = 0; i < 1205; i++) {
      const body = JSON.stringify({
        transaction_id: `t${i}`,
        customer_id: 'c',
        amount: '1.00',
        currency: 'EUR',
        status: 'ok',
        event_time: '2019-02-01T00:00:00',
        updated_at: '2019-02-01T00:00:00',
      });
      lines.push(body);
      await minio.putObject(
        'many',
        `raw/year=2019/month=02/part-${String(i).padStart(5, '0')}.ndjson`,
        `${body}\n`,
      );
    }
    await minio.putObject('many', 'raw/year=2019/month=02/_SUCCESS', '');
    await minio.putObject('many', 'raw/year=2019/month=02/.hidden.ndjson', 'garbage');
    const spec = s3Spec('many');
    const source = createS3Source({ clientFor: s3ClientFactory() });
    const files = await source.list(spec, '2019-02');
    assert.equal(files.length, 1205);
    assert.deepEqual(
      files.slice(0, 2).map((f) => f.name),
      ['year=2019/month=02/part-00000.ndjson', 'year=2019/month=02/part-00001.ndjson'],
    );
    const work = tempDir('s3-');
    const local = await source.materialize(spec, files[7]!, work);
    assert.ok(local.startsWith(work) && local.endsWith('.ndjson'));

    const downloads = countInFlight(source);
    const attempts = tempDir();
    const loader = createLoader({ memoryLimit: '1GB', threads: 1 }, downloads.source, {
      workDir: attempts,
      downloadConcurrency: 3,
    });
    try {
      const result = await loader.load(spec, '2019-02');
      assert.equal(result.files, 1205);
      assert.equal(result.rowsRead, 1205);
      assert.deepEqual(
        await loader.query(targetFile(spec), 'SELECT count(*)::INTEGER AS n FROM transactions'),
        [{ n: 1205 }],
      );
    } finally {
      await loader.close();
    }
    // Downloads overlap, bounded by the setting, and the attempt's work dir is gone afterwards.
    assert.equal(downloads.calls(), 1205);
    assert.equal(downloads.maxInFlight(), 3);
    assert.deepEqual(readdirSync(attempts), []);
  });

  it('an object that vanishes mid-partition fails the load: downloads in flight are stopped, the work dir removed, the target untouched', async () => {
    await minio.createBucket('vanish');
    for (let i = 0; i < 12; i++) {
      await minio.putObject(
        'vanish',
        `raw/year=2019/month=01/part-${String(i).padStart(2, '0')}.ndjson`,
        `${JSON.stringify({ transaction_id: `v${i}`, updated_at: '2019-01-02T00:00:00' })}\n`,
      );
    }
    const client = new S3Client({ endpoint: minio.endpoint, region: 'us-east-1', forcePathStyle: true });
    const real = createS3Source({ clientFor: () => client });
    // Deleted between listing and download, as a concurrent producer might.
    const source: Source = {
      list: async (spec, key) => {
        const files = await real.list(spec, key);
        await client.send(
          new DeleteObjectCommand({ Bucket: 'vanish', Key: 'raw/year=2019/month=01/part-05.ndjson' }),
        );
        return files;
      },
      materialize: (spec, file, workDir, signal) => real.materialize(spec, file, workDir, signal),
    };
    const downloads = countInFlight(source);
    const attempts = tempDir();
    const loader = createLoader({ memoryLimit: '1GB', threads: 1 }, downloads.source, {
      workDir: attempts,
      downloadConcurrency: 4,
    });
    const spec = s3Spec('vanish');
    try {
      await assert.rejects(loader.load(spec, '2019-01'), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'SourceReadError');
        assert.match(
          err.message,
          /downloading s3:\/\/vanish\/raw\/year=2019\/month=01\/part-05\.ndjson: NoSuchKey/,
        );
        return true;
      });
      assert.equal(await loader.hasTable(targetFile(spec), 'transactions'), false);
    } finally {
      await loader.close();
    }
    assert.equal(downloads.inFlight(), 0, 'no download outlives the attempt');
    assert.ok(
      downloads.calls() < 12,
      `${downloads.calls()} downloads started; the window stops at the failure`,
    );
    assert.deepEqual(readdirSync(attempts), []);
  });

  it('a backfill from MinIO through the dev server lands exactly the oracle (gzip objects included)', async () => {
    await minio.createBucket('txns');
    const { raw, data, spec, target } = prepareTransactionsBackfill({
      name: 's3',
      from: '2019-01',
      to: '2019-03',
      data: { rowsPerPartition: 1500, gzip: true },
      source: s3Source('txns'),
    });
    assert.equal(await minio.uploadDir('txns', 'raw/', raw), data.files);
    const s3 = createS3Source({ clientFor: s3ClientFactory() });
    const summary = await withWorker(env, { s3 }, async ({ taskQueue }) =>
      (await startBackfill(env.client, spec, { taskQueue })).result(),
    );
    assert.equal(summary.counts.succeeded, 3);
    assert.equal(summary.totals.rowsRead, data.rows);
    await assertTargetEqualsOracle(target, data.oracle);
  });

  it('wrong credentials and a missing bucket fail without retry, naming the bucket and no secret; an unreachable endpoint is retryable', async () => {
    await minio.createBucket('creds');
    const source = (client: S3Client) => createS3Source({ clientFor: () => client });
    const wrongSecret = 'wrong-secret-value-1234';
    const wrong = new S3Client({
      endpoint: minio.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKey, secretAccessKey: wrongSecret },
    });
    await assert.rejects(source(wrong).list(s3Spec('creds'), '2019-01'), (err: unknown) => {
      assert.ok(err instanceof BackfillError);
      assert.equal(err.type, 'SourceAccessError');
      assert.match(
        err.message,
        /^listing s3:\/\/creds\/raw\/year=2019\/month=01\/: SignatureDoesNotMatch \(check the credentials/,
      );
      assert.ok(!err.message.includes(wrongSecret) && !err.message.includes(minio.secretKey));
      return true;
    });
    await assert.rejects(
      createS3Source({ clientFor: s3ClientFactory() }).list(s3Spec('no-such-bucket'), '2019-01'),
      (err: unknown) => {
        assert.ok(err instanceof BackfillError);
        assert.equal(err.type, 'SourceAccessError');
        assert.match(err.message, /s3:\/\/no-such-bucket\/.*NoSuchBucket \(the bucket does not exist\)/);
        return true;
      },
    );
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = new S3Client({
      endpoint: closed,
      region: 'us-east-1',
      forcePathStyle: true,
      maxAttempts: 1,
    });
    await assert.rejects(source(unreachable).list(s3Spec('creds'), '2019-01'), (err: unknown) => {
      assert.ok(err instanceof BackfillError);
      assert.equal(err.type, 'SourceReadError');
      return true;
    });

    // Through the activity: the credential failure is one attempt, not a retry storm, and the target is untouched.
    const loader = createLoader({ memoryLimit: '1GB', threads: 1 }, source(wrong));
    const spec = s3Spec('creds', { retry: { maximumAttempts: 5, initialInterval: '100ms' } });
    try {
      await assert.rejects(loader.load(spec, '2019-01'), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, 'SourceAccessError');
        return true;
      });
      assert.equal(await loader.hasTable(targetFile(spec), 'transactions'), false);
    } finally {
      await loader.close();
    }
  });
});

/** Wraps a real source to count the downloads running at once (instrumentation, not a stand-in). */
function countInFlight(inner: Source) {
  let now = 0;
  let max = 0;
  let total = 0;
  const source: Source = {
    list: (spec, key) => inner.list(spec, key),
    async materialize(spec, file, workDir, signal) {
      total++;
      max = Math.max(max, ++now);
      try {
        return await inner.materialize(spec, file, workDir, signal);
      } finally {
        now--;
      }
    },
  };
  return { source, maxInFlight: () => max, inFlight: () => now, calls: () => total };
}
