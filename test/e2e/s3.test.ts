import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import { S3Client } from '@aws-sdk/client-s3';
import { startBackfill } from '../../client/backfills';
import { createS3Source, s3ClientFactory } from '../../activities/sources/s3-source';
import { parseSpec } from '../../common/spec';
import { BackfillError } from '../../common/failures';
import { generateTransactions, TRANSACTIONS_SCHEMA } from '../../scripts/dataset';
import {
  freePort,
  startTestEnv,
  startWorker,
  tempDir,
  transactionsSpec,
  uniqueId,
  type TestEnv,
  assertTargetEqualsOracle,
} from '../helpers';
import { startMinio, type Minio } from '../minio-server';
import { createLoader } from '../activities/loading';

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

  const s3Spec = (bucket: string, extra: object = {}) =>
    parseSpec({
      name: 's3',
      source: { uri: `s3://${bucket}/raw`, endpoint: minio.endpoint, forcePathStyle: true },
      schema: TRANSACTIONS_SCHEMA,
      target: {
        path: path.join(tempDir(), 't.duckdb'),
        table: 'transactions',
        partitionColumns: ['year', 'month'],
        keyColumns: ['transaction_id'],
        orderingColumn: 'updated_at',
      },
      range: { from: '2019-01', to: '2019-03' },
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
    const work = mkdtempSync(path.join(tmpdir(), 's3-'));
    const local = await source.materialize(spec, files[7]!, work);
    assert.ok(local.startsWith(work) && local.endsWith('.ndjson'));

    const loader = createLoader({ memoryLimit: '1GB', threads: 1 }, source);
    try {
      const result = await loader.load(spec, '2019-02');
      assert.equal(result.files, 1205);
      assert.equal(result.rowsRead, 1205);
      assert.deepEqual(
        await loader.query(spec.target.path, 'SELECT count(*)::INTEGER AS n FROM transactions'),
        [{ n: 1205 }],
      );
    } finally {
      await loader.close();
    }
  });

  it('a backfill from MinIO through the dev server lands exactly the oracle (gzip objects included)', async () => {
    await minio.createBucket('txns');
    const dir = tempDir();
    const data = generateTransactions({
      dir: path.join(dir, 'raw'),
      from: '2019-01',
      to: '2019-03',
      rowsPerPartition: 1500,
      gzip: true,
    });
    assert.equal(await minio.uploadDir('txns', 'raw/', path.join(dir, 'raw')), data.files);
    const target = path.join(dir, 't.duckdb');
    const spec = transactionsSpec({
      name: uniqueId('s3'),
      source: 's3://txns/raw',
      target,
      from: '2019-01',
      to: '2019-03',
      extra: { source: { uri: 's3://txns/raw', endpoint: minio.endpoint, forcePathStyle: true } },
    });
    const worker = await startWorker(env, { s3: createS3Source({ clientFor: s3ClientFactory() }) });
    try {
      const summary = await (await startBackfill(env.client, spec, { taskQueue: worker.taskQueue })).result();
      assert.equal(summary.counts.succeeded, 3);
      assert.equal(summary.totals.rowsRead, data.rows);
    } finally {
      await worker.stop();
    }
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
      assert.deepEqual(
        await loader.query(
          spec.target.path,
          "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'transactions'",
        ),
        [{ n: 0 }],
      );
    } finally {
      await loader.close();
    }
  });
});
