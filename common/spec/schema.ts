/**
 * The backfill spec's shape: one zod schema, the single source of truth for the CLI, the workflow
 * input and the README. Rules across fields are in rules.ts; parsing happens once at the edge (CLI).
 */
import { z } from 'zod';
import { DURATION_PATTERN } from '../duration';
import { DUCKLAKE_TARGET_FIELDS } from '../ducklake-target';
import { BACKFILL_ID_PATTERN, TASK_QUEUE_PATTERN } from '../ids';
import { PARTITION_COLUMNS } from '../partitions';
import { CheckSchema } from './checks';
import { sizeBytes } from '../size';
import { checkSpecRules } from './rules';

/** Largest concurrency a run allows: Temporal caps pending children per run at 2,000. */
export const MAX_CONCURRENCY = 1000;
/** Largest number of partitions in one backfill. */
export const MAX_PARTITIONS = 1_000_000;

const duration = z.string().regex(DURATION_PATTERN, 'must be a duration such as 500ms, 10s, 5m, 1h or 30d');

/** DuckDB types a column may declare; anything else is rejected before it reaches SQL. */
export const COLUMN_TYPE_PATTERN =
  /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|REAL|DOUBLE|DECIMAL\(\s*\d{1,2}\s*,\s*\d{1,2}\s*\)|VARCHAR|TEXT|STRING|DATE|TIME|TIMESTAMP|TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE|UUID|JSON|BLOB|INTERVAL)$/i;

const columnName = z
  .string()
  .min(1, 'must not be empty')
  .max(255)
  .refine((s) => !s.includes('\0'), 'must not contain NUL')
  .refine((s) => !s.startsWith('_') || !s.startsWith('__'), 'names starting with "__" are reserved');

export const SOURCE_FORMATS = ['auto', 'ndjson', 'json', 'csv', 'parquet'] as const;
export const WRITE_MODES = ['merge', 'overwrite'] as const;
/** Old spellings still accepted, with a deprecation warning (see specWarnings). */
export const DEPRECATED_WRITE_MODES: Record<string, (typeof WRITE_MODES)[number]> = {
  // "append" replaced the partition's rows, which is what overwrite says; elsewhere (dlt, Spark, Delta) append appends.
  append: 'overwrite',
};
export const READ_MODES = ['permissive', 'dropmalformed', 'failfast'] as const;
/** How a batched child commits: each partition in its own transaction, or all of them in one. */
export const COMMIT_MODES = ['partition', 'batch'] as const;
export const REPROCESS_MODES = ['none', 'failed', 'completed'] as const;
export const SCHEMA_CONTRACTS = ['evolve', 'freeze', 'discard'] as const;
export const TIMESTAMP_OFFSETS = ['convert', 'reject'] as const;

const partitionKey = z.string().min(4);

/** A byte size: a number of bytes, or a string such as 512MiB or 1GB; parsed to bytes. */
const byteSize = z
  .union([
    z.number().int().min(0),
    z
      .string()
      .refine((s) => sizeBytes(s) !== undefined, 'must be a size such as 512MiB, 1GB or a number of bytes'),
  ])
  .transform((v) => (typeof v === 'number' ? v : sizeBytes(v)!));

/** Below this many source bytes a partition loads unsharded even when shards are on (see README). */
export const DEFAULT_SHARD_MIN_PARTITION_BYTES = 2 ** 30;
/** Shard activities one partition keeps pending at once: Temporal caps pending activities per run at 2,000. */
export const MAX_SHARD_CONCURRENCY = 2000;

export const ShardsSchema = z
  .object({
    maxFiles: z.number().int().min(1).max(100_000).default(16).describe('Files per shard at most.'),
    maxBytes: byteSize
      .default(2 ** 30)
      .describe(
        'Source bytes per shard at most (a size such as 512MiB, or bytes; default 1GiB); a shard closes when either limit is reached (a larger file is a shard of its own).',
      ),
    minPartitionBytes: byteSize
      .default(DEFAULT_SHARD_MIN_PARTITION_BYTES)
      .describe(
        'A partition with fewer source bytes loads unsharded, as without shards (default 1GiB); 0 shards every partition that makes 2 shards or more.',
      ),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(MAX_SHARD_CONCURRENCY)
      .default(64)
      .describe('Shard activities of one partition pending at once, on any workers.'),
  })
  .strict();

export const StagingSchema = z
  .object({
    uri: z
      .string()
      .min(1)
      .refine((s) => !s.includes('\0'), 'must not contain NUL')
      .refine(
        (s) => s.startsWith('s3://') || s.startsWith('/'),
        'must be s3://bucket/prefix/ or an absolute directory',
      )
      .refine((s) => !/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(s), 'must not carry credentials')
      .describe(
        "Where shards stage their typed Parquet, reachable by every worker: s3://bucket/prefix/ (keys from the worker's AWS chain) or an absolute shared directory.",
      ),
    endpoint: z
      .string()
      .url()
      .optional()
      .describe('S3 endpoint of the staging uri; default source.endpoint.'),
    region: z.string().optional().describe('S3 region of the staging uri; default source.region.'),
    forcePathStyle: z
      .boolean()
      .optional()
      .describe('Path-style S3 addressing for the staging uri; default source.forcePathStyle.'),
  })
  .strict();

export const SourceSchema = z
  .object({
    uri: z.string().min(1).describe('Local directory or s3://bucket/prefix holding the raw files.'),
    layout: z
      .string()
      .default('year={yyyy}/month={mm}/')
      .describe('Where one partition lives under the uri: tokens {yyyy} {mm} {dd} {hh} {key}.'),
    format: z.enum(SOURCE_FORMATS).default('auto').describe('File format; auto decides by file extension.'),
    csv: z
      .object({
        header: z.boolean().default(true).describe('First line holds column names.'),
        delimiter: z.string().length(1).default(',').describe('Field separator.'),
        quote: z.string().max(1).default('"').describe('Quote character (empty: none).'),
        escape: z
          .string()
          .length(1)
          .optional()
          .describe(
            'Escapes a quote inside a quoted field; default the quote itself (doubled quotes, RFC 4180).',
          ),
        nullString: z.string().default('').describe('Text that means NULL.'),
      })
      .strict()
      .default({ header: true, delimiter: ',', quote: '"', nullString: '' })
      .describe('CSV dialect.'),
    endpoint: z
      .string()
      .url()
      .optional()
      .describe('S3 endpoint (MinIO); credentials come from the AWS chain.'),
    region: z.string().optional().describe('S3 region (default from the AWS chain, else us-east-1).'),
    requireFiles: z
      .boolean()
      .default(false)
      .describe('A partition with no files fails instead of being reported empty.'),
    forcePathStyle: z.boolean().optional().describe('Path-style S3 addressing (MinIO).'),
    shards: ShardsSchema.optional().describe(
      "Split a big partition's files into shards, each staged by its own activity on any worker, then committed in one transaction (needs staging); absent = never shard.",
    ),
  })
  .strict();

/** What every target writes and how: both the table and the write options, whatever the destination. */
const TargetWriteOptions = z.object({
  table: z
    .string()
    .min(1)
    .max(255)
    .refine((s) => !s.includes('\0'), 'must not contain NUL')
    .describe('Target table (created if missing); rejects go to <table>__rejects.'),
  partitionColumns: z
    .array(z.enum(PARTITION_COLUMNS))
    .default([])
    .describe('Columns filled from the partition key (year, month, day, hour).'),
  keyColumns: z.array(columnName).default([]).describe('Key columns for merge (upsert) and in-batch dedupe.'),
  writeMode: z
    .preprocess(
      (mode) =>
        typeof mode === 'string' && Object.hasOwn(DEPRECATED_WRITE_MODES, mode)
          ? DEPRECATED_WRITE_MODES[mode]
          : mode,
      z.enum(WRITE_MODES).default('merge'),
    )
    .describe(
      "merge = upsert on keys; overwrite = replace the partition's rows (the old spelling append still loads, with a warning).",
    ),
  orderingColumn: columnName.optional().describe('On duplicate keys the row with the largest value wins.'),
  deleteColumn: columnName
    .optional()
    .describe(
      'A boolean column: when the latest version of a key has it true, merge deletes the row. With an ordering column the delete is remembered in <table>__tombstones, so an older version loaded later does not bring the row back.',
    ),
  lineage: z.boolean().default(true).describe('Add _source_file, _loaded_at and _backfill_id columns.'),
});

/** Every target type, for the message that lists them. */
export const TARGET_TYPES = ['duckdb', 'ducklake'] as const;
const unknownTargetType = `must be one of: ${TARGET_TYPES.join(', ')} (duckdb when left out)`;

/** A DuckDB database file: the embedded default, and the target when `type` is left out. */
export const DuckDbTargetSchema = z
  .object({
    type: z
      .literal('duckdb', { error: unknownTargetType })
      .default('duckdb')
      .describe('Target kind; a DuckDB file when left out.'),
    path: z.string().min(1).describe('DuckDB database file (created if missing).'),
    commitTaskQueue: z
      .string()
      .regex(TASK_QUEUE_PATTERN, 'letters, digits, ".", "_" or "-", starting with a letter or digit')
      .optional()
      .describe(
        'Task queue of the one worker that holds the DuckDB file (its BACKFILL_COMMIT_TASK_QUEUE); commits of sharded partitions, whole-partition loads and maintenance run there, so shards may run on any worker.',
      ),
  })
  .extend(TargetWriteOptions.shape)
  .strict()
  .describe('A DuckDB database file, written by one worker process (the embedded default).');

/** A DuckLake: its own location fields (common/ducklake-target.ts), then the same write options. */
export const DuckLakeTargetSchema = z
  .object(DUCKLAKE_TARGET_FIELDS)
  .extend(TargetWriteOptions.shape)
  .strict()
  .describe(
    'A DuckLake: Parquet files under dataPath, the catalog in PostgreSQL; many workers on many hosts write at once.',
  );

/** Targets by `type`; a new destination adds its variant here (its own fields, then TargetWriteOptions). */
export const TargetSchema = z.discriminatedUnion('type', [DuckDbTargetSchema, DuckLakeTargetSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? unknownTargetType : undefined),
});

export const RangeSchema = z
  .object({
    from: partitionKey.describe(
      'First partition, e.g. 2018-01 (month), 2018-01-01 (day), 2018-01-01T00 (hour), 2018 (year).',
    ),
    to: partitionKey.describe('Last partition, inclusive.'),
    granularity: z.enum(['hour', 'day', 'month', 'year']).default('month').describe('Size of one partition.'),
  })
  .strict();

export const MaintenanceSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('Run CHECKPOINT, ANALYZE and VACUUM after the last partition.'),
    clusterBy: z
      .array(columnName)
      .default([])
      .describe(
        'Rewrite the table ordered by these columns first (the z-order analogue; a DuckLake gets SET SORTED BY, applied when files are merged); empty = no rewrite.',
      ),
    snapshotRetention: duration
      .optional()
      .describe(
        'DuckLake: snapshots older than this are expired after the load and their files deleted (default 7d, as VACUUM RETAIN 168 HOURS).',
      ),
  })
  .strict();

export const RetrySchema = z
  .object({
    maximumAttempts: z.number().int().min(1).max(100).default(3).describe('Load attempts per partition run.'),
    initialInterval: duration.default('1s').describe('First backoff.'),
    backoffCoefficient: z.number().min(1).max(10).default(2).describe('Backoff growth per attempt.'),
    maximumInterval: duration.default('1m').describe('Longest backoff.'),
  })
  .strict();

const BackfillSpecFields = z
  .object({
    name: z
      .string()
      .regex(BACKFILL_ID_PATTERN, 'letters, digits, ".", "_" or "-", starting with a letter or digit')
      .describe('Backfill id (the parent workflow ID) unless --id is given.'),
    source: SourceSchema.describe('Where the raw files are.'),
    schema: z
      .record(columnName, z.string().regex(COLUMN_TYPE_PATTERN, 'is not a supported column type'))
      .refine((s) => Object.keys(s).length > 0, 'must declare at least one column')
      .describe(
        'Explicit column → DuckDB type (VARCHAR, BIGINT, DECIMAL(12,2), TIMESTAMP, ...), applied at read.',
      ),
    target: TargetSchema.describe('Where the rows go.'),
    staging: StagingSchema.optional().describe(
      'Where sharded partitions stage their shards (required with source.shards).',
    ),
    range: RangeSchema.describe('Partitions to load, inclusive.'),
    partitions: z
      .array(partitionKey)
      .optional()
      .describe('Explicit partition keys instead of the whole range.'),
    readMode: z
      .enum(READ_MODES)
      .default('permissive')
      .describe(
        'Bad records: permissive = quarantine, dropmalformed = drop and count, failfast = fail the partition.',
      ),
    timestampOffsets: z
      .enum(TIMESTAMP_OFFSETS)
      .default('convert')
      .describe(
        'A TIMESTAMP value with a UTC offset or Z: convert = it lands as its UTC time; reject = a bad record. TIMESTAMPTZ columns always keep the instant.',
      ),
    schemaContract: z
      .enum(SCHEMA_CONTRACTS)
      .default('evolve')
      .describe(
        'evolve = add new source columns and widen types safely; freeze = fail on any difference; discard = ignore unknown columns.',
      ),
    order: z
      .enum(['oldest', 'newest'])
      .default('oldest')
      .describe('Which partitions run first; newest = backwards (CLI --backwards).'),
    partitionsPerChild: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe('Partitions one child workflow loads in a row (batching for many small partitions).'),
    commit: z
      .enum(COMMIT_MODES)
      .default('partition')
      .describe(
        'partition = one transaction per partition; batch = a batched child reads its partitions in one scan and commits them in one transaction, all or nothing (needs partitionsPerChild > 1; no file-level resume).',
      ),
    maxConcurrency: z
      .number()
      .int()
      .min(1)
      .max(MAX_CONCURRENCY)
      .default(4)
      .describe('Partitions running at once.'),
    retry: RetrySchema.default({
      maximumAttempts: 3,
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '1m',
    }).describe(
      'Retry policy of the load activity (exponential backoff; config and data errors are not retried).',
    ),
    maintenance: MaintenanceSchema.default({ enabled: true, clusterBy: [] }).describe(
      'Post-load maintenance of the target.',
    ),
    heartbeatTimeout: duration.default('10s').describe('How soon a dead worker is noticed.'),
    partitionTimeout: duration.default('6h').describe('Upper bound for one load attempt.'),
    reprocess: z
      .enum(REPROCESS_MODES)
      .default('failed')
      .describe('Which partitions with a closed run run again.'),
    checks: z
      .array(CheckSchema)
      .max(200)
      .default([])
      .describe(
        "Quality gates run on each partition's deduped batch before its commit; each sets exactly one of notNull, unique, acceptedValues, range, pattern, expression (row checks) or rowCount, freshness, maxRejectedShare (partition checks).",
      ),
  })
  .strict();

/** The whole spec: its fields, then the rules across them. */
export const BackfillSpecSchema = BackfillSpecFields.superRefine(checkSpecRules);

/** The parsed spec, defaults applied. This is what the workflow input carries. */
export type BackfillSpec = z.output<typeof BackfillSpecFields>;
export type BackfillSpecInput = z.input<typeof BackfillSpecFields>;
