/**
 * Spec checks through the real load activity into a real DuckDB file: every kind passes, warns,
 * drops and fails as declared, with counts and samples; dropped rows land in <table>__rejects with
 * reason "check <name>" and the counts still reconcile; a failed check fails the partition
 * non-retryable (CheckFailedError, one line) and leaves the target exactly as it was; relative row
 * counts read the target's other partitions; a batch commit checks each partition, all or nothing.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../common/failures';
import { parseSpec, type BackfillSpec, type BackfillSpecInput } from '../../common/spec';
import type { CheckOutcome, LoadPartitionResult } from '../../common/types';
import { applicationFailureOf } from '../../testkit/failures';
import { tempDir } from '../../testkit/fixtures';
import { createLoader } from '../../testkit/loader';
import { runChecksOnTarget } from '../../loading/checks';
import { createMetrics } from '../../worker/metrics';

const metrics = createMetrics();
const loader = createLoader(undefined, undefined, { metrics });
after(() => loader.close());

interface Row {
  order_id: string;
  amount: number | null;
  region: string | null;
  sku: string;
  customer_id: string | null;
  updated_at: string;
}

/** `n` clean rows of a month: one per day (up to 28), amounts 1..n, regions EU/US. */
function cleanRows(month: string, n: number, prefix = month): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    order_id: `${prefix}-${i}`,
    amount: i + 1,
    region: i % 2 ? 'EU' : 'US',
    sku: `ABC-${i}`,
    customer_id: `c${i}`,
    updated_at: `${month}-${String((i % 28) + 1).padStart(2, '0')} 10:00:00`,
  }));
}

function writeMonth(dir: string, month: string, rows: (Row | string)[], file = 'part-0.ndjson') {
  const [y, m] = month.split('-');
  const where = path.join(dir, 'raw', `year=${y}`, `month=${m}`);
  mkdirSync(where, { recursive: true });
  writeFileSync(
    path.join(where, file),
    rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n',
  );
}

const SCHEMA = {
  order_id: 'VARCHAR',
  amount: 'DOUBLE',
  region: 'VARCHAR',
  sku: 'VARCHAR',
  customer_id: 'VARCHAR',
  updated_at: 'TIMESTAMP',
};

function specOf(
  dir: string,
  checks: BackfillSpecInput['checks'],
  more: Partial<BackfillSpecInput> = {},
): BackfillSpec {
  return parseSpec({
    name: 'checks',
    source: { uri: path.join(dir, 'raw') },
    schema: SCHEMA,
    target: {
      path: path.join(dir, 'target.duckdb'),
      table: 'orders',
      partitionColumns: ['year', 'month'],
      keyColumns: ['order_id'],
      orderingColumn: 'updated_at',
    },
    range: { from: '2021-01', to: '2021-03' },
    checks,
    ...more,
  });
}

const fileOf = (spec: BackfillSpec) => (spec.target as { path: string }).path;

const byName = (result: { checks?: CheckOutcome[] }) =>
  Object.fromEntries((result.checks ?? []).map((o) => [o.name, o]));

const reconciles = (r: LoadPartitionResult) =>
  assert.equal(r.rowsRead, r.rowsAccepted + r.duplicatesRemoved + r.rowsRejected, 'counts reconcile');

const count = async (file: string, sql: string) =>
  Number((await loader.query<{ n: string | number }>(file, sql))[0]!.n);

describe('row checks: passed, warned, dropped, failed', () => {
  it('clean data passes every kind; the outcomes are in the result, in the spec order', async () => {
    const dir = tempDir();
    writeMonth(dir, '2021-01', cleanRows('2021-01', 28));
    const spec = specOf(dir, [
      { name: 'non_negative', expression: 'amount >= 0' },
      { name: 'region_known', acceptedValues: { column: 'region', values: ['EU', 'US'] } },
      { name: 'customer', notNull: { column: 'customer_id' } },
      { name: 'sku_unique', unique: { columns: ['sku'] } },
      { name: 'amount_range', range: { column: 'amount', min: 0, max: 1000 } },
      { name: 'sku_shape', pattern: { column: 'sku', regex: '^[A-Z]{3}-[0-9]+$' } },
      { name: 'volume', rowCount: { min: 10, max: 100 } },
      { name: 'fresh', freshness: { minCoverage: 0.9 } },
      { name: 'few_rejects', maxRejectedShare: 0.01 },
    ]);
    const result = await loader.load(spec, '2021-01');
    assert.deepEqual(
      result.checks?.map((o) => [o.name, o.outcome, o.violations, o.checked]),
      [
        ['non_negative', 'passed', 0, 28],
        ['region_known', 'passed', 0, 28],
        ['customer', 'passed', 0, 28],
        ['sku_unique', 'passed', 0, 28],
        ['amount_range', 'passed', 0, 28],
        ['sku_shape', 'passed', 0, 28],
        ['volume', 'passed', 0, 28],
        ['fresh', 'passed', 0, 28],
        ['few_rejects', 'passed', 0, 28],
      ],
    );
    const checks = byName(result);
    assert.equal(checks.fresh!.observed, 28 / 31);
    assert.equal(checks.volume!.observed, 28);
    assert.equal(result.rowsAccepted, 28);
    assert.equal(await count(fileOf(spec), 'SELECT count(*) AS n FROM orders'), 28);
  });

  it('warn lands every row and records the violations with up to 5 distinct samples', async () => {
    const dir = tempDir();
    const rows = cleanRows('2021-01', 20);
    for (const i of [1, 3, 5, 7, 9, 11, 13]) rows[i]!.amount = -i;
    writeMonth(dir, '2021-01', rows);
    const spec = specOf(dir, [
      { name: 'non_negative', expression: 'amount >= 0', action: 'warn' },
      { name: 'small', range: { column: 'amount', max: 10 }, action: 'warn', maxViolations: 20 },
    ]);
    const result = await loader.load(spec, '2021-01');
    const checks = byName(result);
    assert.equal(checks.non_negative!.outcome, 'warned');
    assert.equal(checks.non_negative!.violations, 7);
    assert.equal(checks.non_negative!.samples.length, 5);
    assert.match(checks.non_negative!.samples[0]!, /"amount":-/);
    assert.equal(checks.non_negative!.message, '7 of 20 rows violate amount >= 0');
    // Over its max but within the threshold: passed, the count still recorded.
    assert.equal(checks.small!.outcome, 'passed');
    assert.equal(checks.small!.violations, 8);
    assert.equal(result.rowsAccepted, 20);
    assert.equal(await count(fileOf(spec), 'SELECT count(*) AS n FROM orders'), 20);
  });

  it('drop moves the violating rows to the rejects with reason "check <name>"; counts reconcile', async () => {
    const dir = tempDir();
    const rows = cleanRows('2021-01', 10);
    rows[2]!.region = 'XX';
    rows[4]!.region = 'YY';
    rows[6]!.region = null; // NULL is no violation of acceptedValues
    rows[8]!.sku = 'bad';
    rows[4]!.sku = 'also bad'; // dropped once, by the first drop check
    writeMonth(dir, '2021-01', [...rows, 'not json']);
    const spec = specOf(dir, [
      { name: 'region_known', acceptedValues: { column: 'region', values: ['EU', 'US'] }, action: 'drop' },
      { name: 'sku_shape', pattern: { column: 'sku', regex: '^[A-Z]{3}-[0-9]+$' }, action: 'drop' },
    ]);
    const result = await loader.load(spec, '2021-01');
    const checks = byName(result);
    assert.equal(checks.region_known!.outcome, 'dropped');
    assert.equal(checks.region_known!.violations, 2);
    assert.deepEqual(checks.region_known!.samples, ['XX', 'YY']);
    assert.equal(checks.sku_shape!.outcome, 'dropped');
    assert.equal(checks.sku_shape!.violations, 2);
    assert.equal(result.rowsRead, 11);
    assert.equal(result.rowsRejected, 4); // the malformed line and three dropped rows
    assert.equal(result.rowsAccepted, 7);
    reconciles(result);
    const file = fileOf(spec);
    assert.equal(await count(file, 'SELECT count(*) AS n FROM orders'), 7);
    const rejects = await loader.query<{ reason: string; line: number; raw: string; file: string }>(
      file,
      'SELECT reason, line, raw, source_file AS file FROM orders__rejects ORDER BY line',
    );
    assert.deepEqual(
      rejects.map((r) => [r.reason, Number(r.line)]),
      [
        ['check region_known', 3],
        ['check region_known', 5],
        ['check sku_shape', 9],
        ['malformed JSON', 11],
      ],
    );
    assert.equal((JSON.parse(rejects[0]!.raw) as Row).region, 'XX');
    assert.equal((JSON.parse(rejects[0]!.raw) as Row).order_id, '2021-01-2');
    assert.match(rejects[0]!.file, /part-0\.ndjson$/);
  });

  it('read modes: under failfast the dropped rows are quarantined, under dropmalformed dropped and counted', async () => {
    for (const readMode of ['failfast', 'dropmalformed'] as const) {
      const dir = tempDir();
      const rows = cleanRows('2021-01', 4);
      rows[1]!.region = 'XX';
      writeMonth(dir, '2021-01', rows);
      const spec = specOf(
        dir,
        [
          {
            name: 'region_known',
            acceptedValues: { column: 'region', values: ['EU', 'US'] },
            action: 'drop',
          },
        ],
        { readMode },
      );
      const result = await loader.load(spec, '2021-01');
      assert.equal(result.rowsRejected, 1, readMode);
      assert.equal(result.rowsAccepted, 3, readMode);
      assert.deepEqual(
        await loader.query(fileOf(spec), 'SELECT reason FROM orders__rejects'),
        readMode === 'failfast' ? [{ reason: 'check region_known' }] : [],
        readMode,
      );
    }
  });

  it('fail fails the partition non-retryable with one line, and nothing of it lands', async () => {
    const dir = tempDir();
    writeMonth(dir, '2021-01', cleanRows('2021-01', 5));
    const ok = specOf(dir, [{ name: 'customer', notNull: { column: 'customer_id' } }]);
    await loader.load(ok, '2021-01');
    const file = fileOf(ok);
    const before = await loader.query(file, 'SELECT * EXCLUDE (_loaded_at) FROM orders ORDER BY order_id');
    const rows = cleanRows('2021-01', 6, 'new');
    rows[1]!.customer_id = null;
    rows[3]!.amount = -3;
    writeMonth(dir, '2021-01', rows);
    const spec = specOf(dir, [
      { name: 'customer', notNull: { column: 'customer_id' } },
      { name: 'non_negative', expression: 'amount >= 0', action: 'warn' },
    ]);
    const failure = await applicationFailureOf(() => loader.load(spec, '2021-01'));
    assert.equal(failure.type, 'CheckFailedError');
    assert.ok(NON_RETRYABLE_FAILURE_TYPES.includes('CheckFailedError'), 'not retried');
    assert.doesNotMatch(failure.message, /\n/);
    assert.match(
      failure.message,
      /^check "customer" failed: 1 of 6 rows violate "customer_id" is not null \(sample: \{"order_id":"new-1",/,
    );
    const details = failure.details?.[0] as { checks: CheckOutcome[] };
    assert.deepEqual(
      details.checks.map((o) => [o.name, o.outcome]),
      [
        ['customer', 'failed'],
        ['non_negative', 'warned'],
      ],
    );
    assert.deepEqual(
      await loader.query(file, 'SELECT * EXCLUDE (_loaded_at) FROM orders ORDER BY order_id'),
      before,
    );
  });

  it('drop over its threshold fails; within it, drops', async () => {
    const dir = tempDir();
    const rows = cleanRows('2021-01', 10);
    rows[0]!.amount = -1;
    rows[1]!.amount = -2;
    writeMonth(dir, '2021-01', rows);
    const over = specOf(dir, [{ name: 'neg', expression: 'amount >= 0', action: 'drop', maxViolations: 1 }]);
    const failure = await applicationFailureOf(() => loader.load(over, '2021-01'));
    assert.match(
      failure.message,
      /^check "neg" failed: 2 of 10 rows violate amount >= 0 \(at most 1 allowed\)/,
    );
    assert.equal(await loader.hasTable(fileOf(over), 'orders'), false);
    const within = specOf(dir, [
      { name: 'neg', expression: 'amount >= 0', action: 'drop', maxViolationShare: 0.2 },
    ]);
    const result = await loader.load(within, '2021-01');
    assert.equal(byName(result).neg!.outcome, 'dropped');
    assert.equal(result.rowsAccepted, 8);
    reconciles(result);
  });

  it('unique beyond the key counts every row of a repeated value', async () => {
    const dir = tempDir();
    const rows = cleanRows('2021-01', 6);
    rows[1]!.sku = 'ABC-0';
    rows[2]!.sku = 'ABC-0';
    writeMonth(dir, '2021-01', rows);
    const spec = specOf(dir, [{ name: 'sku_unique', unique: { columns: ['sku'] }, action: 'drop' }]);
    const result = await loader.load(spec, '2021-01');
    const outcome = byName(result).sku_unique!;
    assert.equal(outcome.violations, 3);
    assert.deepEqual(outcome.samples, ['ABC-0']);
    assert.equal(result.rowsAccepted, 3);
    reconciles(result);
  });
});

describe('partition checks', () => {
  it('rowCount: absolute bounds, and relative to the median of the other partitions in the target', async () => {
    const dir = tempDir();
    writeMonth(dir, '2021-01', cleanRows('2021-01', 10));
    writeMonth(dir, '2021-02', cleanRows('2021-02', 12));
    writeMonth(dir, '2021-03', cleanRows('2021-03', 2));
    const spec = specOf(dir, [{ name: 'volume', rowCount: { relativeMin: 0.5, relativeMax: 2 } }]);
    const first = byName(await loader.load(spec, '2021-01')).volume!;
    assert.equal(first.outcome, 'passed');
    assert.match(first.message, /no other partition in the target/);
    const second = byName(await loader.load(spec, '2021-02')).volume!;
    assert.equal(second.outcome, 'passed');
    assert.equal(second.observed, 1.2);
    const file = fileOf(spec);
    const before = await count(file, 'SELECT count(*) AS n FROM orders');
    const failure = await applicationFailureOf(() => loader.load(spec, '2021-03'));
    assert.equal(failure.type, 'CheckFailedError');
    assert.equal(
      failure.message,
      'check "volume" failed: row count 2 is 0.182x the median 11 of the other partitions, below 0.5x',
    );
    assert.equal(await count(file, 'SELECT count(*) AS n FROM orders'), before);
    // Re-loading a partition compares it with the others, never with itself.
    const again = byName(await loader.load(spec, '2021-02')).volume!;
    assert.equal(again.observed, 1.2);
    const absolute = specOf(dir, [{ name: 'volume', rowCount: { min: 5 }, action: 'warn' }]);
    const warned = byName(await loader.load(absolute, '2021-03')).volume!;
    assert.equal(warned.outcome, 'warned');
    assert.equal(warned.message, 'row count 2 is below min 5');
  });

  it('freshness: the share of the days of a month partition with rows', async () => {
    const dir = tempDir();
    writeMonth(dir, '2021-02', cleanRows('2021-02', 14));
    const spec = specOf(dir, [{ name: 'fresh', freshness: { column: 'updated_at', minCoverage: 0.9 } }]);
    const failure = await applicationFailureOf(() => loader.load(spec, '2021-02'));
    assert.equal(failure.message, 'check "fresh" failed: 14 of 28 days have rows (coverage 0.5), below 0.9');
  });

  it('maxRejectedShare: bad records over records read', async () => {
    const dir = tempDir();
    writeMonth(dir, '2021-01', [...cleanRows('2021-01', 8), 'oops', '{"order_id": null}']);
    const spec = specOf(dir, [{ name: 'few_rejects', maxRejectedShare: 0.1, action: 'warn' }]);
    const outcome = byName(await loader.load(spec, '2021-01')).few_rejects!;
    assert.equal(outcome.outcome, 'warned');
    assert.equal(outcome.observed, 0.2);
  });
});

describe('batch commit: each partition checked, all or nothing', () => {
  it('a failing check in one partition leaves the whole batch unwritten; drops go to each partition', async () => {
    const dir = tempDir();
    const jan = cleanRows('2021-01', 6);
    jan[0]!.region = 'XX';
    writeMonth(dir, '2021-01', jan);
    writeMonth(dir, '2021-02', cleanRows('2021-02', 6));
    const mar = cleanRows('2021-03', 6);
    mar[2]!.amount = -1;
    writeMonth(dir, '2021-03', mar);
    const checks: BackfillSpecInput['checks'] = [
      { name: 'region_known', acceptedValues: { column: 'region', values: ['EU', 'US'] }, action: 'drop' },
      { name: 'non_negative', expression: 'amount >= 0' },
    ];
    const batch = { commit: 'batch', partitionsPerChild: 3 } as const;
    const spec = specOf(dir, checks, batch);
    const failure = await applicationFailureOf(() =>
      loader.loadBatch(spec, ['2021-01', '2021-02', '2021-03']),
    );
    assert.equal(failure.type, 'CheckFailedError');
    assert.match(failure.message, /^partition 2021-03: check "non_negative" failed: 1 of 6 rows/);
    const details = failure.details?.[0] as { checks: CheckOutcome[]; checksOf: string };
    assert.equal(details.checksOf, '2021-03');
    assert.equal(await loader.hasTable(fileOf(spec), 'orders'), false);

    const relaxed = specOf(dir, [checks[0]!, { ...checks[1]!, action: 'warn' }], batch);
    const results = await loader.loadBatch(relaxed, ['2021-01', '2021-02', '2021-03']);
    assert.equal(byName(results['2021-01']!).region_known!.outcome, 'dropped');
    assert.equal(byName(results['2021-02']!).region_known!.outcome, 'passed');
    assert.equal(byName(results['2021-03']!).non_negative!.outcome, 'warned');
    for (const r of Object.values(results)) reconciles(r);
    assert.equal(results['2021-01']!.rowsAccepted, 5);
    const file = fileOf(relaxed);
    assert.equal(await count(file, 'SELECT count(*) AS n FROM orders'), 17);
    assert.deepEqual(await loader.query(file, 'SELECT partition_key, reason FROM orders__rejects'), [
      { partition_key: '2021-01', reason: 'check region_known' },
    ]);
  });

  it('relative row counts in a batch compare with the partitions already in the target', async () => {
    const dir = tempDir();
    writeMonth(dir, '2021-01', cleanRows('2021-01', 10));
    writeMonth(dir, '2021-02', cleanRows('2021-02', 10));
    writeMonth(dir, '2021-03', cleanRows('2021-03', 1));
    const spec = specOf(dir, [{ name: 'volume', rowCount: { relativeMin: 0.5 } }], {
      commit: 'batch',
      partitionsPerChild: 2,
    });
    await loader.loadBatch(spec, ['2021-01', '2021-02']);
    const failure = await applicationFailureOf(() => loader.loadBatch(spec, ['2021-03']));
    assert.match(failure.message, /row count 1 is 0\.1x the median 10/);
  });
});

describe('backfill check: the checks against what is already in the target', () => {
  it('reports the outcomes of the rows in the target, read-only', async () => {
    const dir = tempDir();
    const jan = cleanRows('2021-01', 10);
    jan[3]!.amount = -4;
    jan[5]!.region = 'XX';
    writeMonth(dir, '2021-01', [...jan, 'bad line']);
    writeMonth(dir, '2021-02', cleanRows('2021-02', 30));
    const loose = specOf(dir, []);
    await loader.load(loose, '2021-01');
    await loader.load(loose, '2021-02');
    const strict = specOf(dir, [
      { name: 'non_negative', expression: 'amount >= 0' },
      { name: 'region_known', acceptedValues: { column: 'region', values: ['EU', 'US'] }, action: 'drop' },
      { name: 'volume', rowCount: { relativeMin: 0.5 } },
      { name: 'fresh', freshness: { minCoverage: 0.3 }, action: 'warn' },
      { name: 'few_rejects', maxRejectedShare: 0.5 },
    ]);
    const file = fileOf(strict);
    const before = await loader.query(file, 'SELECT count(*) AS n FROM orders');
    const outcomes = await loader.withCatalog(file, (conn, catalog) =>
      runChecksOnTarget(conn, catalog, strict, '2021-01'),
    );
    assert.deepEqual(
      outcomes.map((o) => [o.name, o.outcome, o.violations, o.checked, o.samples.length]),
      [
        ['non_negative', 'failed', 1, 10, 1],
        ['region_known', 'dropped', 1, 10, 1],
        ['volume', 'failed', 1, 10, 0],
        ['fresh', 'passed', 0, 10, 0],
        ['few_rejects', 'passed', 0, 11, 0],
      ],
    );
    assert.match(outcomes[0]!.samples[0]!, /^\{"order_id":"2021-01-3","amount":-4\.0,/);
    assert.deepEqual(outcomes[1]!.samples, ['XX']);
    assert.equal(outcomes[2]!.observed, 10 / 30);
    assert.equal(outcomes[4]!.observed, 1 / 11);
    assert.deepEqual(await loader.query(file, 'SELECT count(*) AS n FROM orders'), before);
  });
});

describe('injection: hostile check names, columns and accepted values are data', () => {
  it('load as text, do what they say, and execute nothing', async () => {
    const dir = tempDir();
    const col = `r"; DROP TABLE victim; --`;
    const other = `ünï'cödé; --`;
    const hostileValue = `'); DROP TABLE victim; --`;
    const name = `x"); DROP TABLE victim; -- ' 🙂`;
    const rows = [
      { id: 'a', [col]: hostileValue, [other]: 1 },
      { id: 'b', [col]: 'plain', [other]: 2 },
      { id: 'c', [col]: `it's "quoted"`, [other]: -3 },
    ];
    writeMonth(dir, '2021-01', rows as never);
    const spec = parseSpec({
      name: 'inject',
      source: { uri: path.join(dir, 'raw') },
      schema: { id: 'VARCHAR', [col]: 'VARCHAR', [other]: 'INTEGER' },
      target: {
        path: path.join(dir, `t'; --.duckdb`),
        table: `tbl"; DROP TABLE victim; --`,
        partitionColumns: ['year', 'month'],
        keyColumns: ['id'],
      },
      range: { from: '2021-01', to: '2021-01' },
      checks: [
        { name, acceptedValues: { column: col, values: [hostileValue, `it's "quoted"`] }, action: 'drop' },
        { name: `${name} 2`, expression: `"ünï'cödé; --" > 0`, action: 'warn' },
        { name: `${name} 3`, pattern: { column: col, regex: `^[^;]*$` }, action: 'warn' },
        { name: `${name} 4`, unique: { columns: [col, other] } },
      ],
    });
    const file = fileOf(spec);
    await loader.query(file, 'CREATE TABLE victim AS SELECT 42 AS answer');
    const result = await loader.load(spec, '2021-01');
    const outcomes = result.checks!;
    assert.deepEqual(
      outcomes.map((o) => [
        o.name,
        o.outcome,
        o.violations,
        o.kind === 'expression' ? o.samples.length : o.samples,
      ]),
      [
        [name, 'dropped', 1, ['plain']],
        [`${name} 2`, 'warned', 1, 1],
        [`${name} 3`, 'warned', 1, [hostileValue]],
        [`${name} 4`, 'passed', 0, []],
      ],
    );
    assert.ok(
      outcomes[1]!.samples[0]!.startsWith(
        JSON.stringify({ id: 'c', [col]: `it's "quoted"`, [other]: -3 }).slice(0, -1),
      ),
      outcomes[1]!.samples[0],
    );
    assert.deepEqual(await loader.query(file, 'SELECT answer FROM victim'), [{ answer: 42 }]);
    const table = spec.target.table.replaceAll('"', '""');
    assert.deepEqual(await loader.query(file, `SELECT id FROM "${table}" ORDER BY id`), [
      { id: 'a' },
      { id: 'c' },
    ]);
    assert.deepEqual(await loader.query(file, `SELECT reason FROM "${table}__rejects"`), [
      { reason: `check ${name}` },
    ]);
  });
});

describe('metrics', () => {
  it('backfill_checks_total counts outcomes by check and outcome', async () => {
    const text = await metrics.registry.getSingleMetricAsString('backfill_checks_total');
    assert.match(text, /backfill_checks_total\{check="customer",outcome="failed"\} [1-9]/);
    assert.match(text, /backfill_checks_total\{check="region_known",outcome="dropped"\} [1-9]/);
  });
});
