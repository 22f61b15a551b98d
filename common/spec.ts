/**
 * The backfill spec: one zod schema, the single source of truth for the CLI, the workflow input
 * and the README. Parsing happens once at the edge (CLI); workflows receive the parsed value.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DUCKLAKE_TARGET_FIELDS } from './ducklake-target';
import { DURATION_PATTERN } from './duration';
import { BACKFILL_ID_PATTERN } from './ids';
import {
  GRANULARITY_COLUMNS,
  LAYOUT_TOKENS,
  PARTITION_COLUMNS,
  countPartitions,
  parsePartitionKey,
  type Granularity,
} from './partitions';

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
export const WRITE_MODES = ['merge', 'overwrite', 'append'] as const;
export const READ_MODES = ['permissive', 'dropmalformed', 'failfast'] as const;
export const REPROCESS_MODES = ['none', 'failed', 'completed'] as const;
export const SCHEMA_CONTRACTS = ['evolve', 'freeze', 'discard'] as const;

const partitionKey = z.string().min(4);

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
  })
  .strict();

export const TargetSchema = z
  .object({
    type: z
      .literal('duckdb')
      .default('duckdb')
      .describe('Target kind; a DuckDB file is the embedded default.'),
    path: z.string().min(1).describe('DuckDB database file (created if missing).'),
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
    keyColumns: z
      .array(columnName)
      .default([])
      .describe('Key columns for merge (upsert) and in-batch dedupe.'),
    writeMode: z
      .enum(WRITE_MODES)
      .default('merge')
      .describe('merge = upsert on keys; overwrite = replace the partition; append = alias of overwrite.'),
    orderingColumn: columnName.optional().describe('On duplicate keys the row with the largest value wins.'),
    deleteColumn: columnName
      .optional()
      .describe(
        'A boolean column: when the latest version of a key has it true, merge deletes the row. With an ordering column the delete is remembered in <table>__tombstones, so an older version loaded later does not bring the row back.',
      ),
    lineage: z.boolean().default(true).describe('Add _source_file, _loaded_at and _backfill_id columns.'),
  })
  .strict();

/** A DuckLake target: its own location fields (common/ducklake-target.ts), the same write options. */
export const DuckLakeTargetSchema = TargetSchema.omit({ type: true, path: true })
  .extend(DUCKLAKE_TARGET_FIELDS)
  .strict();

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

export const BackfillSpecSchema = z
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
    target: z.discriminatedUnion('type', [TargetSchema, DuckLakeTargetSchema]).describe('Where the rows go.'),
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
  })
  .strict()
  .superRefine((spec, ctx) => {
    const g: Granularity = spec.range.granularity;
    for (const field of ['from', 'to'] as const) {
      try {
        parsePartitionKey(spec.range[field], g);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['range', field], message: (err as Error).message });
      }
    }
    if (!ctx.issues?.length && countPartitions(spec.range.from, spec.range.to, g) === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['range', 'to'],
        message: `is before range.from (${spec.range.from})`,
      });
    }
    for (const [i, key] of (spec.partitions ?? []).entries()) {
      try {
        parsePartitionKey(key, g);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['partitions', i], message: (err as Error).message });
      }
    }
    const unknownTokens = (spec.source.layout.match(/\{[^}]*\}/g) ?? []).filter(
      (t) => !LAYOUT_TOKENS[g].includes(t),
    );
    if (unknownTokens.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['source', 'layout'],
        message: `token(s) ${unknownTokens.join(', ')} cannot be filled at ${g} granularity (allowed: ${LAYOUT_TOKENS[g].join(' ')})`,
      });
    }
    for (const field of ['uri', 'endpoint'] as const) {
      const value = spec.source[field];
      if (value && /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) {
        ctx.addIssue({
          code: 'custom',
          path: ['source', field],
          message:
            'must not carry credentials (user:password@); they come from the AWS credential chain and never enter workflow history',
        });
      }
    }
    if (spec.source.layout.split('/').includes('..')) {
      ctx.addIssue({ code: 'custom', path: ['source', 'layout'], message: 'must not contain ".."' });
    }
    const columns = Object.keys(spec.schema);
    for (const [i, col] of spec.target.partitionColumns.entries()) {
      if (!GRANULARITY_COLUMNS[g].includes(col)) {
        ctx.addIssue({
          code: 'custom',
          path: ['target', 'partitionColumns', i],
          message: `"${col}" cannot be filled at ${g} granularity`,
        });
      }
      if (columns.includes(col)) {
        ctx.addIssue({
          code: 'custom',
          path: ['target', 'partitionColumns', i],
          message: `"${col}" is also a schema column; partition columns are filled from the partition key`,
        });
      }
    }
    const mode = spec.target.writeMode;
    if (mode === 'merge' && spec.target.keyColumns.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['target', 'keyColumns'],
        message: 'writeMode merge needs at least one key column',
      });
    }
    if (mode !== 'merge' && spec.target.partitionColumns.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['target', 'partitionColumns'],
        message: `writeMode ${mode} replaces a partition's rows, so it needs partition columns`,
      });
    }
    for (const [i, key] of spec.target.keyColumns.entries()) {
      if (!columns.includes(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['target', 'keyColumns', i],
          message: `"${key}" is not a schema column`,
        });
      }
    }
    const known = [...columns, ...spec.target.partitionColumns];
    for (const [i, col] of spec.maintenance.clusterBy.entries()) {
      if (!known.includes(col)) {
        ctx.addIssue({
          code: 'custom',
          path: ['maintenance', 'clusterBy', i],
          message: `"${col}" is not a schema or partition column`,
        });
      }
    }
    const del = spec.target.deleteColumn;
    if (del !== undefined && !columns.includes(del)) {
      ctx.addIssue({
        code: 'custom',
        path: ['target', 'deleteColumn'],
        message: `"${del}" is not a schema column`,
      });
    }
    const ordering = spec.target.orderingColumn;
    if (ordering !== undefined && !columns.includes(ordering)) {
      ctx.addIssue({
        code: 'custom',
        path: ['target', 'orderingColumn'],
        message: `"${ordering}" is not a schema column`,
      });
    }
  });

/** The parsed spec, defaults applied. This is what the workflow input carries. */
export type BackfillSpec = z.output<typeof BackfillSpecSchema>;
export type BackfillSpecInput = z.input<typeof BackfillSpecSchema>;

/** A spec that failed validation: every issue with its field path, ready to print. */
export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `invalid backfill spec: ${problems[0]}`
        : `invalid backfill spec (${problems.length} problems):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'SpecError';
  }
}

export function formatIssuePath(pathParts: readonly PropertyKey[]): string {
  return pathParts
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

export function parseSpec(value: unknown): BackfillSpec {
  const result = BackfillSpecSchema.safeParse(value);
  if (!result.success) {
    throw new SpecError(
      result.error.issues.map((issue) => `${formatIssuePath(issue.path) || '(spec)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** Reads a YAML or JSON spec file; relative local paths in it are resolved against the file's folder. */
export function loadSpecFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecError([
      `cannot read spec file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new SpecError([
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    ]);
  }
  return resolveRelativePaths(value, path.dirname(path.resolve(file)));
}

function resolveRelativePaths(value: unknown, baseDir: string): unknown {
  if (!value || typeof value !== 'object') return value;
  const spec = structuredClone(value) as {
    source?: { uri?: unknown };
    target?: { path?: unknown; dataPath?: unknown; catalog?: unknown };
  };
  const uri = spec.source?.uri;
  if (typeof uri === 'string' && !uri.includes('://') && !path.isAbsolute(uri)) {
    spec.source!.uri = path.resolve(baseDir, uri);
  }
  const target = spec.target?.path;
  if (typeof target === 'string' && !path.isAbsolute(target)) {
    spec.target!.path = path.resolve(baseDir, target);
  }
  // A DuckLake's local data directory and local catalog file, like a DuckDB target's path.
  for (const field of ['dataPath', 'catalog'] as const) {
    const value = spec.target?.[field];
    if (typeof value === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(value) && !path.isAbsolute(value))
      spec.target![field] = path.resolve(baseDir, value);
  }
  return spec;
}

/** Applies `a.b.c=value` style overrides (CLI flags) to a raw spec before validation. */
export function applyOverrides(value: unknown, overrides: Record<string, unknown>): unknown {
  const spec = structuredClone((value ?? {}) as Record<string, unknown>);
  for (const [dotted, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    const parts = dotted.split('.');
    let node: Record<string, unknown> = spec;
    for (const part of parts.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = v;
  }
  return spec;
}

/** Number of partitions the spec plans (explicit list or the whole range). */
export function partitionCount(spec: BackfillSpec): number {
  return spec.partitions?.length ?? countPartitions(spec.range.from, spec.range.to, spec.range.granularity);
}
