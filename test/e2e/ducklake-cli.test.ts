/**
 * Bad DuckLake inputs as a user meets them: `backfill start <spec> --wait` against a real worker,
 * real PostgreSQL and MinIO. A spec that carries a password is refused before anything starts
 * (exit 2); a wrong password, a missing bucket, a catalog made with another data path and a
 * missing extension fail their partition at once, without retry, with one line, and the CLI exits 1;
 * nothing is written; no secret is printed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackfillSpecInput } from '../../common/spec';
import { generateTransactions, TRANSACTIONS_SCHEMA } from '../../scripts/dataset';
import type { backfillWorkflow } from '../../workflows';
import { runCli, startWorker, tempDir, uniqueId, useTestEnv, type RunningWorker } from '../helpers';
import { startMinio, type Minio } from '../minio-server';
import { startPostgres, type Postgres } from '../postgres-server';

const BUCKET = 'lakehouse';

describe('DuckLake bad inputs through the CLI', () => {
  const env = useTestEnv();
  let pg: Postgres;
  let minio: Minio;
  let worker: RunningWorker;
  let raw: string;
  const saved = { ...process.env };
  before(async () => {
    pg = await startPostgres();
    minio = await startMinio();
    await minio.createBucket(BUCKET);
    raw = path.join(tempDir(), 'raw');
    generateTransactions({ dir: raw, from: '2020-01', to: '2020-01', rowsPerPartition: 50 });
    // The in-process worker reads the lake's credentials from this process's environment.
    Object.assign(process.env, {
      PGPASSWORD: pg.password,
      AWS_ACCESS_KEY_ID: minio.accessKey,
      AWS_SECRET_ACCESS_KEY: minio.secretKey,
    });
    worker = await startWorker(env);
  });
  after(async () => {
    await worker?.stop();
    pg?.stop();
    await minio?.stop();
    for (const key of [
      'PGPASSWORD',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'BACKFILL_DUCKDB_EXTENSION_DIR',
    ])
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
  });

  let lakes = 0;
  const newLake = () => {
    const name = `cli${++lakes}`;
    return { catalog: `postgres:${pg.createDatabase(name)}`, dataPath: `s3://${BUCKET}/${name}/` };
  };
  const specFile = (lake: { catalog: string; dataPath: string }, target: object = {}) => {
    const spec: BackfillSpecInput = {
      name: uniqueId('lake-cli'),
      // A local source; the lake's data path is on MinIO, reached through target.endpoint.
      source: { uri: raw },
      schema: { ...TRANSACTIONS_SCHEMA },
      target: {
        type: 'ducklake',
        ...lake,
        endpoint: minio.endpoint,
        table: 'transactions',
        partitionColumns: ['year', 'month'],
        keyColumns: ['transaction_id'],
        orderingColumn: 'updated_at',
        ...target,
      },
      range: { from: '2020-01', to: '2020-01' },
      retry: {
        maximumAttempts: 3,
        initialInterval: '100ms',
        backoffCoefficient: 2,
        maximumInterval: '500ms',
      },
    };
    const file = path.join(tempDir(), 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    return { file, name: spec.name };
  };
  const noSecret = (text: string) => {
    assert.ok(!text.includes(pg.password), 'the PostgreSQL password was printed');
    assert.ok(!text.includes(minio.secretKey), 'the S3 secret was printed');
  };

  it('a catalog carrying a password is refused before anything starts (exit 2, one line)', async () => {
    const lake = newLake();
    const { file } = specFile({ ...lake, catalog: `${lake.catalog} password=hunter2` });
    const result = await runCli(env, worker.taskQueue, ['start', file, '--wait']);
    assert.equal(result.code, 2, result.err.join('\n'));
    assert.equal(result.err.length, 1, result.err.join('\n'));
    assert.match(
      result.err[0]!,
      /target\.catalog: must not carry a password; the worker takes it from PGPASSWORD or PGPASSFILE/,
    );
    assert.ok(!result.err[0]!.includes('hunter2'));
  });

  const cases: [
    string,
    () => {
      lake: { catalog: string; dataPath: string };
      arrange?: () => Promise<void> | void;
      restore?: () => void;
    },
    RegExp,
  ][] = [
    [
      'wrong password',
      () => ({
        lake: newLake(),
        arrange: () => void (process.env.PGPASSWORD = 'not-the-password'),
        restore: () => void (process.env.PGPASSWORD = pg.password),
      }),
      /the catalog refused the login/,
    ],
    [
      'missing bucket',
      () => ({ lake: { ...newLake(), dataPath: 's3://no-such-bucket/x/' } }),
      /the data path's bucket does not exist/,
    ],
    [
      'missing extension',
      () => ({
        lake: newLake(),
        arrange: () => void (process.env.BACKFILL_DUCKDB_EXTENSION_DIR = tempDir('no-extensions-')),
        restore: () => void delete process.env.BACKFILL_DUCKDB_EXTENSION_DIR,
      }),
      /DuckDB extension ducklake .* is not installed .*run `npm run tools`/,
    ],
  ];
  for (const [what, setup, message] of cases) {
    it(`${what}: the partition fails at once with one line, the CLI exits 1, nothing is written`, async () => {
      const { lake, arrange, restore } = setup();
      const { file, name } = specFile(lake);
      await arrange?.();
      try {
        const result = await runCli(env, worker.taskQueue, ['start', file, '--wait']);
        assert.equal(result.code, 1, result.err.join('\n'));
        assert.match(result.out.join('\n'), /1 partitions: 1 failed/);
        noSecret([...result.out, ...result.err].join('\n'));
        const summary = await env.client.workflow.getHandle<typeof backfillWorkflow>(name).result();
        const p = summary.partitions![0]!;
        process.stdout.write(`# ${what}: ${p.lastError}\n`);
        assert.equal(p.stats?.attempts, 1, 'not retried');
        assert.match(p.lastError ?? '', /^ConfigurationError: /);
        assert.match(p.lastError ?? '', message);
        assert.ok(!(p.lastError ?? '').includes('\n'), 'one line');
      } finally {
        restore?.();
      }
      // Nothing written: no object under the lake's data path.
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
      const url = new URL(lake.dataPath);
      if (url.host === BUCKET) {
        const listed = await minio.client.send(
          new ListObjectsV2Command({ Bucket: BUCKET, Prefix: url.pathname.slice(1) }),
        );
        assert.equal(listed.KeyCount ?? 0, 0);
      }
    });
  }
});
