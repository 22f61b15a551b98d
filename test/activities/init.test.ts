/**
 * `backfill init` against real sources (local directories of each layout and format, a MinIO
 * bucket): the spec it writes validates, plans exactly the partitions that hold files, and loads
 * every sampled format through the real load activity without a single reject.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { sourceByScheme, type Source } from '../../loading/sources';
import { createS3Source, s3ClientFactory } from '../../loading/sources/s3-source';
import { main } from '../../client/cli';
import { planPartitionKeys } from '../../common/partitions';
import { loadSpecFile, parseSpec, type BackfillSpec } from '../../common/spec';
import { PROPOSED_CHECKS_HEADER } from '../../loading/init/spec-document';
import { tempDir } from '../helpers';
import { targetFile } from '../../testkit/specs';
import {
  csvDaily,
  hiveNdjson,
  jsonArraysMixed,
  parquetHourly,
  plainMonthly,
  zstdNdjson,
  type InitFixture,
} from '../init-fixtures';
import { startMinio, type Minio } from '../minio-server';
import { createLoader } from './loading';

async function init(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['init', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err };
}

/** Runs init into a spec file next to the source and reads it back the way `start` does. */
async function initSpec(source: string, extra: string[] = []) {
  const file = path.join(tempDir('init-spec-'), 'spec.yaml');
  const result = await init([source, '--out', file, ...extra]);
  assert.equal(result.code, 0, result.err.join('\n'));
  const text = readFileSync(file, 'utf8');
  return { spec: parseSpec(loadSpecFile(file)), text, raw: parseYaml(text) as Record<string, unknown> };
}

/** The planned partitions that list files: what `plan` shows with files > 0. */
async function partitionsWithFiles(spec: BackfillSpec, source: Source): Promise<string[]> {
  const keys = planPartitionKeys(spec.range.from, spec.range.to, spec.range.granularity);
  const listed = await Promise.all(keys.map(async (k) => ((await source.list(spec, k)).length ? k : '')));
  return listed.filter(Boolean);
}

/** Loads every planned partition with the real activity; returns rejects and target rows. */
async function loadAll(spec: BackfillSpec, s3?: Source) {
  const loader = createLoader({ memoryLimit: '1GB', threads: 1 }, s3, {
    stagingDir: tempDir('init-staging-'),
  });
  try {
    let rejected = 0;
    let accepted = 0;
    for (const key of planPartitionKeys(spec.range.from, spec.range.to, spec.range.granularity)) {
      const result = await loader.load(spec, key);
      rejected += result.rowsRejected;
      accepted += result.rowsAccepted;
    }
    const [row] = await loader.query<{ n: number }>(
      targetFile(spec),
      `SELECT count(*)::INTEGER AS n FROM "${spec.target.table}"`,
    );
    return { rejected, accepted, rows: row!.n };
  } finally {
    await loader.close();
  }
}

async function assertRoundTrip(fixture: InitFixture, spec: BackfillSpec, source: Source = sourceByScheme()) {
  assert.deepEqual(await partitionsWithFiles(spec, source), fixture.partitions);
  assert.equal(spec.range.from, fixture.partitions[0]);
  assert.equal(spec.range.to, fixture.partitions.at(-1));
  const loaded = await loadAll(spec, spec.source.uri.startsWith('s3://') ? source : undefined);
  assert.equal(loaded.rejected, 0, 'no rejects on clean data');
  assert.ok(loaded.accepted > 0);
  if (fixture.distinctKeys !== undefined) assert.equal(loaded.rows, fixture.distinctKeys);
}

describe('backfill init', () => {
  it('hive year=/month= NDJSON: month layout, a key with versions, updated_at orders, loads exactly', async () => {
    const fixture = hiveNdjson(tempDir('init-hive-'));
    const { spec, text } = await initSpec(fixture.dir);
    assert.equal(spec.source.layout, 'year={yyyy}/month={mm}/');
    assert.equal(spec.source.format, 'ndjson');
    assert.equal(spec.range.granularity, 'month');
    assert.deepEqual(spec.target.keyColumns, ['transaction_id']);
    assert.equal(spec.target.orderingColumn, 'updated_at');
    assert.deepEqual(spec.target.partitionColumns, ['year', 'month']);
    assert.equal(spec.schema.event_time, 'TIMESTAMP');
    assert.equal(spec.schema.amount, 'DECIMAL(17,2)', 'decimals in quotes stay exact');
    assert.match(text, /^# Written by `backfill init /m);
    assert.match(text, /keyColumns: \[ transaction_id \] # non-null/);
    await assertRoundTrip(fixture, spec);
  });

  it('proposes checks from the sample, commented out; uncommented they parse and pass on the same data', async () => {
    const fixture = hiveNdjson(tempDir('init-checks-'));
    const { spec, text } = await initSpec(fixture.dir);
    assert.deepEqual(spec.checks, [], 'proposals are off until uncommented');
    assert.doesNotMatch(text, /^checks:/m);
    const lines = text.split('\n');
    const at = lines.indexOf(`#${PROPOSED_CHECKS_HEADER}`);
    assert.ok(at > 0, 'the proposals follow a header line');
    const block = lines.slice(at + 1).filter((l) => l.startsWith('# '));
    assert.equal(block[0], '# checks:');
    const uncommented = parseSpec(
      parseYaml([...lines.slice(0, at), ...block.map((l) => l.slice(2))].join('\n')),
    );
    const byName = new Map(uncommented.checks.map((c) => [c.name, c]));
    // Every column of the sample is filled: each gets a notNull proposal.
    for (const column of ['transaction_id', 'customer_id', 'amount', 'currency', 'status', 'updated_at'])
      assert.deepEqual(byName.get(`${column}_not_null`)?.notNull, { column }, column);
    // Four currencies and the statuses seen: low-cardinality text; ids are not.
    assert.deepEqual(byName.get('currency_accepted')?.acceptedValues, {
      column: 'currency',
      values: ['EUR', 'GBP', 'JPY', 'USD'],
    });
    assert.equal(byName.get('currency_accepted')?.action, 'warn');
    assert.ok(byName.has('status_accepted'));
    assert.ok(!byName.has('transaction_id_accepted') && !byName.has('customer_id_accepted'));
    assert.deepEqual(byName.get('row_count_band')?.rowCount, { relativeMin: 0.5, relativeMax: 2 });
    assert.match(
      text,
      /^# {3}- \{ name: currency_accepted, .* # 4 distinct value\(s\) in \d+ sampled records/m,
    );
    // The data they came from loads with them on (a failed check would throw CheckFailedError).
    // The loaded spec (its paths resolved next to the file, as `start` resolves them) with the checks on.
    const loaded = await loadAll({ ...spec, checks: uncommented.checks });
    assert.equal(loaded.rows, fixture.distinctKeys);
  });

  it('plain YYYY/MM/ directories: plain layout, same partitions', async () => {
    const fixture = plainMonthly(tempDir('init-plain-'));
    const { spec } = await initSpec(fixture.dir, ['--name', 'plain-tx']);
    assert.equal(spec.source.layout, '{yyyy}/{mm}/');
    assert.equal(spec.name, 'plain-tx');
    assert.equal(spec.target.table, 'plain_tx');
    await assertRoundTrip(fixture, spec);
  });

  it('CSV with a header under YYYY/MM/DD/: day layout, dialect, typed columns, order_id key', async () => {
    const fixture = csvDaily(tempDir('init-csv-'));
    const { spec } = await initSpec(fixture.dir);
    assert.equal(spec.source.layout, '{yyyy}/{mm}/{dd}/');
    assert.equal(spec.range.granularity, 'day');
    assert.equal(spec.source.format, 'csv');
    assert.equal(spec.source.csv.header, true);
    assert.equal(spec.source.csv.delimiter, ',');
    assert.equal(spec.schema.quantity, 'BIGINT');
    assert.equal(spec.schema.price, 'DOUBLE');
    assert.equal(spec.schema.created_at, 'TIMESTAMP');
    assert.deepEqual(spec.target.keyColumns, ['order_id']);
    assert.equal(spec.target.orderingColumn, 'created_at');
    await assertRoundTrip(fixture, spec);
  });

  it('gzip NDJSON with a missing month: the range spans it, plan lists only the months with files', async () => {
    const fixture = hiveNdjson(tempDir('init-gzip-'), { gzip: true, dropMonth: '2021-03' });
    const { spec, text } = await initSpec(fixture.dir);
    assert.equal(spec.source.format, 'ndjson');
    assert.match(text, /format: ndjson # from \.ndjson\.gz \(gzip/);
    assert.match(text, /4 of its 5 partitions have a directory/);
    await assertRoundTrip(fixture, spec);
  });

  it('zstd NDJSON (written by DuckDB): zstd detected, the spec loads with no rejects', async () => {
    const fixture = await zstdNdjson(tempDir('init-zstd-'));
    const { spec, text } = await initSpec(fixture.dir);
    assert.equal(spec.source.format, 'ndjson');
    assert.equal(spec.source.layout, 'year={yyyy}/month={mm}/');
    assert.match(text, /format: ndjson # from \.ndjson\.zst \(zstd: decompressed by the loader\)/);
    assert.deepEqual(spec.target.keyColumns, ['event_id']);
    assert.equal(spec.target.orderingColumn, 'created_at');
    assert.equal(spec.schema.created_at, 'TIMESTAMP');
    await assertRoundTrip(fixture, spec);
  });

  it('Parquet under year=/month=/day=/hour=: hour layout, exact types, a list kept as JSON', async () => {
    const fixture = await parquetHourly(tempDir('init-parquet-'));
    const { spec, text } = await initSpec(fixture.dir);
    assert.equal(spec.source.layout, 'year={yyyy}/month={mm}/day={dd}/hour={hh}/');
    assert.equal(spec.range.granularity, 'hour');
    assert.equal(spec.source.format, 'parquet');
    assert.equal(spec.schema.value, 'DECIMAL(10,2)');
    assert.equal(spec.schema.tags, 'JSON');
    assert.match(text, /tags: JSON # nested/);
    assert.deepEqual(spec.target.keyColumns, ['reading_id']);
    await assertRoundTrip(fixture, spec);
  });

  it('JSON arrays with a column of mixed kinds: widened to VARCHAR with a comment, still no rejects', async () => {
    const fixture = jsonArraysMixed(tempDir('init-json-'));
    const { spec, text } = await initSpec(fixture.dir);
    assert.equal(spec.source.format, 'json');
    assert.equal(spec.range.granularity, 'year');
    assert.equal(spec.schema.code, 'VARCHAR');
    assert.match(text, /code: VARCHAR # .*mixed in the sample: UBIGINT, VARCHAR/);
    assert.equal(spec.schema.payload, 'JSON');
    assert.deepEqual(spec.target.keyColumns, ['event_id']);
    await assertRoundTrip(fixture, spec);
  });

  it('prints the spec to stdout without --out, and the sample caps bound what it reads', async () => {
    const fixture = hiveNdjson(tempDir('init-stdout-'));
    const result = await init([fixture.dir, '--sample-files', '2', '--sample-rows', '50']);
    assert.equal(result.code, 0, result.err.join('\n'));
    assert.match(result.out, /# Inferred from 2 sampled file\(s\) and 50 record\(s\)\./);
    const spec = parseSpec(parseYaml(result.out));
    assert.equal(spec.range.to, '2021-05');
  });

  it('a listing cut short by --max-list still spans the source from its first and last directories', async () => {
    const fixture = hiveNdjson(tempDir('init-maxlist-'));
    const result = await init([fixture.dir, '--max-list', '3']);
    assert.equal(result.code, 0, result.err.join('\n'));
    assert.match(result.out, /the listing stopped after \d+ entries \(--max-list\)/);
    const spec = parseSpec(parseYaml(result.out));
    assert.deepEqual([spec.range.from, spec.range.to], ['2021-01', '2021-05']);
  });

  it('refuses an empty, missing or unpartitioned source, and an existing --out, with one line and exit 2', async () => {
    const empty = tempDir('init-empty-');
    const flat = tempDir('init-flat-');
    writeFileSync(path.join(flat, 'data.ndjson'), '{"a":1}\n');
    const noFiles = tempDir('init-nofiles-');
    mkdirSync(path.join(noFiles, 'year=2020'), { recursive: true });
    writeFileSync(path.join(noFiles, 'year=2020', 'notes.txt'), 'hello');
    const existing = path.join(tempDir('init-out-'), 'spec.yaml');
    writeFileSync(existing, 'keep me');
    const cases: [string[], RegExp][] = [
      [[empty], /is empty: no files to sample/],
      [[path.join(empty, 'nope')], /no such directory/],
      [[flat], /no partition directories \(expected year=YYYY\/ or YYYY\/ at the top, found only files\)/],
      [[noFiles], /no data files in the sampled partitions .*found year=2020\/notes\.txt/],
      [[hiveNdjson(tempDir('init-exists-')).dir, '--out', existing], /spec\.yaml exists: pass --force/],
    ];
    for (const [args, pattern] of cases) {
      const result = await init(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.err.join('\n')}`);
      assert.equal(result.err.length, 1, result.err.join('\n'));
      assert.match(result.err[0]!, pattern);
      assert.equal(result.out, '');
    }
    assert.equal(readFileSync(existing, 'utf8'), 'keep me');
  });
});

describe('backfill init from S3 (MinIO)', () => {
  let minio: Minio;
  before(async () => {
    minio = await startMinio();
    process.env.AWS_ACCESS_KEY_ID = minio.accessKey;
    process.env.AWS_SECRET_ACCESS_KEY = minio.secretKey;
  });
  after(async () => {
    await minio?.stop();
  });

  it('scans a bucket prefix through the S3 API and the spec loads from the bucket', async () => {
    const fixture = hiveNdjson(tempDir('init-s3-'), { gzip: true });
    await minio.createBucket('lake');
    await minio.uploadDir('lake', 'raw/transactions/', fixture.dir);
    const { spec, text } = await initSpec('s3://lake/raw/transactions/', [
      '--endpoint',
      minio.endpoint,
      '--region',
      'us-east-1',
      '--force-path-style',
    ]);
    assert.equal(spec.name, 'transactions');
    assert.equal(spec.source.endpoint, minio.endpoint);
    assert.equal(spec.source.forcePathStyle, true);
    assert.equal(spec.source.layout, 'year={yyyy}/month={mm}/');
    assert.doesNotMatch(text, new RegExp(minio.secretKey), 'no credential in the spec');
    await assertRoundTrip(fixture, spec, createS3Source({ clientFor: s3ClientFactory() }));
  });

  it('a missing bucket is one line and exit 2', async () => {
    const result = await init(['s3://no-such-bucket/x/', '--endpoint', minio.endpoint, '--force-path-style']);
    assert.equal(result.code, 2);
    assert.equal(result.err.length, 1);
    assert.match(result.err[0]!, /NoSuchBucket/);
  });
});
