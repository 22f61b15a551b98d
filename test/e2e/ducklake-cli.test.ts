/**
 * Bad DuckLake inputs as a user meets them: `backfill start <spec> --wait` against a real worker,
 * real PostgreSQL and MinIO. A spec that carries a password is refused before anything starts
 * (exit 2); a wrong password, an unreachable catalog (after BACKFILL_LAKE_CONNECT_TIMEOUT), a
 * missing bucket, a catalog made with another data path and a missing extension fail their
 * partition without retry, with one line, and the CLI exits 1; nothing is written; no secret is
 * printed. A table name with quotes and semicolons loads as a name; an incompatible schema change
 * fails naming the column and leaves the table as it was.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackfillSpecInput } from '../../common/spec';
import { generateTransactions, TRANSACTIONS_SCHEMA } from '../../scripts/dataset';
import type { backfillWorkflow } from '../../workflows';
import { freePort, runCli, startWorker, tempDir, uniqueId, useTestEnv, type RunningWorker } from '../helpers';
import { startMinio, type Minio } from '../minio-server';
import { startPostgres, type Postgres } from '../postgres-server';
import { openLakeReader } from '../../testkit/ducklake-reader';

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
    // An unreachable catalog is waited for this long (a restart), then fails the partition.
    worker = await startWorker(env, { lakeConnectWindowMs: 2000 });
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
  let unusedPort = 0;
  before(async () => void (unusedPort = await freePort()));
  const newLake = () => {
    const name = `cli${++lakes}`;
    return { catalog: `postgres:${pg.createDatabase(name)}`, dataPath: `s3://${BUCKET}/${name}/` };
  };
  const specFile = (
    lake: { catalog: string; dataPath: string },
    target: object = {},
    schema: Record<string, string> = {},
  ) => {
    const spec: BackfillSpecInput = {
      name: uniqueId('lake-cli'),
      // A local source; the lake's data path is on MinIO, reached through target.endpoint.
      source: { uri: raw },
      schema: { ...TRANSACTIONS_SCHEMA, ...schema },
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
      'unreachable PostgreSQL',
      () => ({
        lake: {
          // Nothing listens on this port (it was free a moment ago).
          catalog: `postgres:dbname=lake host=127.0.0.1 port=${unusedPort} user=lake connect_timeout=2`,
          dataPath: `s3://${BUCKET}/unreachable/`,
        },
      }),
      /the catalog database is unreachable \(waited \d+ s\)/,
    ],
    [
      'a catalog made with another data path',
      () => {
        const first = newLake();
        return {
          lake: { ...first, dataPath: `${first.dataPath.replace(/\/$/, '')}-moved/` },
          // The catalog exists, made by a backfill that wrote under the first data path.
          arrange: async () => {
            const made = await runCli(env, worker.taskQueue, ['start', specFile(first).file, '--wait']);
            assert.equal(made.code, 0, made.err.join('\n'));
          },
        };
      },
      /the catalog was created with another data path/,
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

  it('a table name with quotes and semicolons loads as a name; an incompatible schema change then fails naming the column, exit 1, the table unchanged', async () => {
    const lake = newLake();
    const odd = `tr"ans'; DROP TABLE x; --`;
    const access = {
      ...lake,
      s3: { endpoint: minio.endpoint, accessKey: minio.accessKey, secretKey: minio.secretKey },
      pgPassword: pg.password,
    };
    const shape = async () => {
      const reader = await openLakeReader(access);
      try {
        const [row] = await reader.query<{ n: string; t: string }>(
          `SELECT count(*)::VARCHAR AS n, any_value(typeof(amount)) AS t FROM "${odd.replaceAll('"', '""')}"`,
        );
        return row!;
      } finally {
        reader.close();
      }
    };
    const loaded = await runCli(env, worker.taskQueue, [
      'start',
      specFile(lake, { table: odd }).file,
      '--wait',
    ]);
    assert.equal(loaded.code, 0, loaded.err.join('\n'));
    const before = await shape();
    assert.ok(Number(before.n) > 0);
    assert.match(before.t, /^DECIMAL/);
    const { file, name } = specFile(lake, { table: odd }, { amount: 'VARCHAR' });
    const changed = await runCli(env, worker.taskQueue, ['start', file, '--wait']);
    assert.equal(changed.code, 1, changed.err.join('\n'));
    const summary = await env.client.workflow.getHandle<typeof backfillWorkflow>(name).result();
    const p = summary.partitions![0]!;
    process.stdout.write(`# incompatible schema change: ${p.lastError}\n`);
    assert.equal(p.stats?.attempts, 1, 'not retried');
    assert.match(
      p.lastError ?? '',
      /^SchemaContractError: .*column "amount": target has DECIMAL\(\d+,\d+\), the spec says VARCHAR/,
    );
    assert.deepEqual(await shape(), before);
  });
});
