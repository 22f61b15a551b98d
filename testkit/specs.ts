/** Spec builders for the generated transactions data: the one place that spells out its target. */
import assert from 'node:assert/strict';
import { parseSpec, SpecError, type BackfillSpec, type BackfillSpecInput } from '../common/spec';
import path from 'node:path';
import { TRANSACTIONS_SCHEMA } from './dataset';
import { uniqueId } from './fixtures';
import type { LakeLocation } from './lake-servers';

type SourceInput = BackfillSpecInput['source'];
/** The DuckDB file target these builders spell out. */
type TargetInput = Extract<BackfillSpecInput['target'], { path: string }>;
/** The DuckLake target: a lake's location and its S3 endpoint. */
type LakeTargetInput = Extract<BackfillSpecInput['target'], { type: 'ducklake' }>;
/** What every target takes beside where it is: table, keys, write mode, deletes ... */
type WriteOptions = Omit<TargetInput, 'type' | 'path'>;

/** Partitioned by year and month, merged on `key`, the newest `ordering` winning. */
const monthlyWrite = (table: string, key: string, ordering: string): WriteOptions => ({
  table,
  partitionColumns: ['year', 'month'],
  keyColumns: [key],
  orderingColumn: ordering,
});

/** A DuckDB-file target partitioned by year and month, merged on `key`, the newest `ordering` winning. */
export const monthlyTarget = (file: string, table: string, key: string, ordering: string): TargetInput => ({
  path: file,
  ...monthlyWrite(table, key, ordering),
});

export interface TransactionsSpecOptions {
  name: string;
  /** A local directory or an s3:// URI, or a whole source (endpoint, format, ...). */
  source: string | SourceInput;
  /** The DuckDB file, or a DuckLake (its location; `endpoint` for data on MinIO). */
  target: string | (LakeLocation & Pick<LakeTargetInput, 'endpoint'>);
  from: string;
  to: string;
  /** The generator's `deleted` flag (lateDeleteRate) is a column, and a row carrying it a delete. */
  deletes?: boolean;
  /** Target fields beside the location and the transactions keys (e.g. writeMode). */
  targetOptions?: Partial<WriteOptions>;
}

/**
 * The transactions spec as a user writes it: source, schema, target and range; every other field
 * keeps its default. The benchmarks and the demo run it as is.
 */
export function transactionsSpecInput(options: TransactionsSpecOptions): BackfillSpecInput {
  const write: WriteOptions = {
    ...monthlyWrite('transactions', 'transaction_id', 'updated_at'),
    ...(options.deletes ? { deleteColumn: 'deleted' } : {}),
    ...options.targetOptions,
  };
  return {
    name: options.name,
    source: typeof options.source === 'string' ? { uri: options.source } : options.source,
    schema: { ...TRANSACTIONS_SCHEMA, ...(options.deletes ? { deleted: 'BOOLEAN' } : {}) },
    target:
      typeof options.target === 'string'
        ? { path: options.target, ...write }
        : { type: 'ducklake', ...options.target, ...write },
    range: { from: options.from, to: options.to },
  };
}

/** Retries short enough that a partition that cannot load fails within a second or two. */
export const FAST_RETRY = {
  maximumAttempts: 3,
  initialInterval: '100ms',
  backoffCoefficient: 2,
  maximumInterval: '500ms',
} as const;

/** A parsed transactions spec for the dev server: 3 partitions at a time, fast retries, 3 s heartbeats. */
export function transactionsSpec(
  options: TransactionsSpecOptions & { extra?: Partial<BackfillSpecInput> },
): BackfillSpec {
  return parseSpec({
    ...transactionsSpecInput(options),
    maxConcurrency: 3,
    retry: FAST_RETRY,
    heartbeatTimeout: '3s',
    ...options.extra,
  });
}

/** Specs for more backfills of the same files over one range, each into its own DuckDB file under `dir`. */
export const specsOver =
  (raw: string, dir: string, range: { from: string; to: string }) =>
  (name: string, extra: Partial<BackfillSpecInput> = {}): BackfillSpec =>
    transactionsSpec({
      name: uniqueId(name),
      source: raw,
      target: path.join(dir, `${name}.duckdb`),
      ...range,
      extra,
    });

/** The DuckDB file a spec's target writes (the default target type). */
export function targetFile(spec: BackfillSpec): string {
  if (spec.target.type !== 'duckdb') throw new Error(`target type ${spec.target.type} is not a DuckDB file`);
  return spec.target.path;
}

/**
 * A small spec for unit tests that never read a file: monthly partitions of `tx` keyed by `id`,
 * ordered by `updated_at`; `extra` replaces whole top-level fields (range, schema, retry ...).
 */
export function unitSpecInput(extra: Partial<BackfillSpecInput> = {}) {
  return {
    name: 'unit',
    source: { uri: '/data/raw' },
    schema: { id: 'VARCHAR', updated_at: 'TIMESTAMP' } as Record<string, string>,
    target: monthlyTarget('/data/t.duckdb', 'tx', 'id', 'updated_at'),
    range: { from: '2019-01', to: '2019-12' },
    ...extra,
  } satisfies BackfillSpecInput;
}

/** Every problem parseSpec finds in a raw spec (empty when it parses); any other error fails the test. */
export function specProblems(value: unknown): string[] {
  try {
    parseSpec(value);
  } catch (err) {
    assert.ok(err instanceof SpecError, `expected SpecError, got ${String(err)}`);
    return err.problems;
  }
  return [];
}
