/** Pure parts of the DuckLake destination: the target's spec, its location, conflict waits, statements. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec, SpecError, type BackfillSpecInput } from '../../common/spec';
import { conflictDelayMs, DEFAULT_CONFLICT_POLICY } from '../../loading/destinations/ducklake/commit';
import { lakeLocation, lakeTarget, s3SecretValues } from '../../loading/destinations/ducklake/location';
import * as lake from '../../loading/destinations/ducklake/sql';

const base = (target: object): BackfillSpecInput => ({
  name: 'lake',
  source: { uri: 's3://raw/x', endpoint: 'http://127.0.0.1:9000' },
  schema: { id: 'VARCHAR', ts: 'TIMESTAMP', deleted: 'BOOLEAN' },
  target: {
    type: 'ducklake',
    catalog: 'postgres:dbname=lake host=pg user=lake',
    dataPath: 's3://lake/data/',
    table: 't',
    partitionColumns: ['year', 'month'],
    keyColumns: ['id'],
    orderingColumn: 'ts',
    deleteColumn: 'deleted',
    ...target,
  },
  range: { from: '2020-01', to: '2020-12' },
});

describe('ducklake target spec', () => {
  it('parses with the shared write options; a DuckDB target stays the default', () => {
    const spec = parseSpec(base({}));
    assert.equal(spec.target.type, 'ducklake');
    assert.equal(spec.target.writeMode, 'merge');
    assert.equal(spec.maintenance.snapshotRetention, undefined);
    const file = parseSpec({
      ...base({}),
      target: { path: '/tmp/t.duckdb', table: 't', keyColumns: ['id'] },
    });
    assert.equal(file.target.type, 'duckdb');
  });

  it('refuses a password in the catalog, credentials in the data path, and a DuckDB path on a lake', () => {
    for (const [target, message] of [
      [{ catalog: 'postgres:dbname=lake password=x' }, /target\.catalog: must not carry a password/],
      [
        { catalog: 'postgres:postgresql://lake:secret@pg/lake' },
        /target\.catalog: must not carry a password/,
      ],
      [{ dataPath: 's3://key:secret@lake/data/' }, /target\.dataPath: must not carry credentials/],
      [{ path: '/tmp/x.duckdb' }, /target: Unrecognized key: "path"/],
    ] as const)
      assert.throws(
        () => parseSpec(base(target)),
        (e: unknown) => e instanceof SpecError && message.test(e.message),
      );
  });

  it('one lake, one alias per process; credentials and endpoint come from the environment and the spec', () => {
    const spec = parseSpec(base({}));
    const location = lakeLocation(lakeTarget(spec));
    assert.equal(location.dataPath, 's3://lake/data/');
    assert.equal(
      location.alias,
      lakeLocation(lakeTarget(parseSpec(base({ dataPath: 's3://lake/data' })))).alias,
    );
    assert.notEqual(
      location.alias,
      lakeLocation(lakeTarget(parseSpec(base({ dataPath: 's3://lake/other/' })))).alias,
    );
    const s3 = s3SecretValues(spec, location, { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' });
    assert.deepEqual(
      { ...s3 },
      {
        keyId: 'k',
        secret: 's',
        sessionToken: undefined,
        endpoint: '127.0.0.1:9000',
        region: 'us-east-1',
        useSsl: false,
        urlStyle: 'path',
        scope: 's3://lake/data/',
      },
    );
  });
});

describe('ducklake commit conflicts', () => {
  it('waits grow, are capped and jittered', () => {
    const at = (retry: number, r: number) => conflictDelayMs(DEFAULT_CONFLICT_POLICY, retry, () => r);
    assert.equal(at(1, 0.5), 20);
    assert.ok(at(5, 0.5) > at(2, 0.5));
    assert.equal(at(100, 0.5), 2000);
    assert.equal(at(100, 0), 1000);
    assert.equal(at(100, 0.999), 2998);
  });
});

describe('ducklake statements', () => {
  it('secrets are bound values, never SQL text', () => {
    const statement = lake.createS3Secret('s', {
      keyId: 'AKIA',
      secret: 'very-secret',
      region: 'r',
      useSsl: true,
      urlStyle: 'vhost',
      scope: 's3://b/',
    });
    assert.ok(!statement.sql.includes('very-secret'));
    assert.equal(statement.params?.secret, 'very-secret');
    const pg = lake.createPostgresSecret('p', "pa'ss");
    assert.ok(!pg.sql.includes("pa'ss"));
    assert.equal(pg.params?.password, "pa'ss");
  });

  it('with a delete column the merge is DELETE then a one-action MERGE; identifiers quoted', () => {
    const scope = { catalog: 'cat', batch: '__backfill_batch', stage: '__backfill_stage' };
    const spec = parseSpec(base({ table: 'we"ird; DROP' }));
    const statements = lake.lakeMergeBatch(spec, spec.schema, scope, true);
    assert.equal(statements.length, 2);
    assert.match(statements[0]!.sql, /^DELETE FROM "cat"\."main"\."we""ird; DROP" AS t USING /);
    assert.match(
      statements[1]!.sql,
      /^MERGE INTO "cat"\."main"\."we""ird; DROP" AS t .* WHEN MATCHED AND .* THEN UPDATE SET .* WHEN NOT MATCHED THEN INSERT/,
    );
    assert.doesNotMatch(statements[1]!.sql, /DELETE/);
    const plain = parseSpec(base({ deleteColumn: undefined }));
    assert.equal(lake.lakeMergeBatch(plain, plain.schema, scope, false).length, 1);
  });
});

describe('ducklake metrics', () => {
  it('each conflict retried counts on backfill_commit_conflicts_retried_total with its seconds; lock waits add up', async () => {
    const { createMetrics } = await import('../../worker/metrics');
    const metrics = createMetrics();
    metrics.commitConflict!(0.25);
    metrics.commitConflict!(0.5);
    metrics.commitLockWait!(1.5);
    const text = await metrics.registry.metrics();
    assert.match(text, /^backfill_commit_conflicts_retried_total 2$/m);
    assert.match(text, /^backfill_commit_conflict_seconds_total 0.75$/m);
    assert.match(text, /^backfill_commit_lock_wait_seconds_total 1.5$/m);
  });
});
