/**
 * Every SQL statement the service runs is built here. Identifiers are always quoted with
 * `ident()`; values from files, partitions and users are bound as `$name` parameters. The only
 * literals are the spec's column types (validated against a whitelist) and constant messages
 * escaped with `literal()`.
 */
import type { BackfillSpec } from '../common/spec';
import type { PartitionColumn } from '../common/partitions';

export type Params = Record<string, string | number | boolean | null>;
export interface Statement {
  sql: string;
  params?: Params;
}

/** Quotes an identifier for DuckDB: wraps in double quotes, doubles inner ones. */
export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
/** Quotes a constant string literal (never used for untrusted values; those are bound). */
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

export const LINEAGE_COLUMNS = {
  _source_file: 'VARCHAR',
  _loaded_at: 'TIMESTAMP',
  _backfill_id: 'VARCHAR',
} as const;
export const STAGE_TABLE = '__backfill_stage';
export const BATCH_TABLE = '__backfill_batch';
export const rejectsTable = (table: string) => `${table}__rejects`;

/** Columns of the target table, in order: schema, partition columns, lineage. */
export function targetColumns(spec: BackfillSpec): [string, string][] {
  const columns: [string, string][] = Object.entries(spec.schema);
  for (const col of spec.target.partitionColumns) columns.push([col, 'INTEGER']);
  if (spec.target.lineage) columns.push(...(Object.entries(LINEAGE_COLUMNS) as [string, string][]));
  return columns;
}

export function createTargetTable(spec: BackfillSpec): Statement {
  const cols = targetColumns(spec).map(([name, type]) => `${ident(name)} ${type}`);
  return { sql: `CREATE TABLE IF NOT EXISTS ${ident(spec.target.table)} (${cols.join(', ')})` };
}

export function createRejectsTable(spec: BackfillSpec): Statement {
  return {
    sql:
      `CREATE TABLE IF NOT EXISTS ${ident(rejectsTable(spec.target.table))} (` +
      'backfill_id VARCHAR, partition_key VARCHAR, source_file VARCHAR, line BIGINT, raw VARCHAR, reason VARCHAR, rejected_at TIMESTAMP)',
  };
}

/** Staging table: typed schema columns, where each row came from, and why it was rejected (if it was). */
export function createStageTable(spec: BackfillSpec): Statement {
  const cols = Object.entries(spec.schema).map(([name, type]) => `${ident(name)} ${type}`);
  return {
    sql:
      `CREATE OR REPLACE TEMP TABLE ${ident(STAGE_TABLE)} (${cols.join(', ')}, ` +
      '"__file" VARCHAR, "__line" BIGINT, "__raw" VARCHAR, "__reason" VARCHAR)',
  };
}

/**
 * Reads one NDJSON file as lines (so each record keeps its line number and raw text), parses each
 * line, casts every declared column and records the first reason a line is bad. Blank lines are
 * not records. Raw JSON control characters are invalid JSON, so the 0x1F "delimiter" never splits
 * a valid line.
 */
export function stageNdjsonFile(spec: BackfillSpec, file: string, displayName: string): Statement {
  const linesSql =
    `SELECT raw, line FROM read_csv($file, columns = {'raw': 'VARCHAR'}, header = false, delim = E'\\x1f', ` +
    `quote = '', escape = '', auto_detect = false, max_line_size = 67108864, buffer_size = 134217728) WITH ORDINALITY AS r(raw, line)`;
  return stageFromRawJson(spec, linesSql, { file, display: displayName });
}

/** Reads one file holding a JSON array of records; each element's index is its "line". */
export function stageJsonArrayFile(spec: BackfillSpec, file: string, displayName: string): Statement {
  const elementsSql =
    `SELECT CAST(json AS VARCHAR) AS raw, line FROM read_json($file, format = 'array', records = false, ` +
    `columns = {'json': 'JSON'}, maximum_object_size = 67108864) WITH ORDINALITY AS r(json, line)`;
  return stageFromRawJson(spec, elementsSql, { file, display: displayName });
}

function stageFromRawJson(
  spec: BackfillSpec,
  rowsSql: string,
  params: { file: string; display: string },
): Statement {
  const structure = JSON.stringify(Object.fromEntries(Object.keys(spec.schema).map((c) => [c, 'VARCHAR'])));
  const field = (c: string) => `j.${ident(c)}`;
  const cast = (c: string, type: string) => `TRY_CAST(${field(c)} AS ${type})`;
  const reasons = [
    `WHEN NOT json_valid(raw) THEN 'malformed JSON'`,
    `WHEN json_type(raw) <> 'OBJECT' THEN 'not a JSON object'`,
    ...spec.target.keyColumns.map(
      (k) => `WHEN ${field(k)} IS NULL THEN ${literal(`null key column "${k}"`)}`,
    ),
    ...Object.entries(spec.schema).map(
      ([c, type]) =>
        `WHEN ${field(c)} IS NOT NULL AND ${cast(c, type)} IS NULL THEN ` +
        `${literal(`column "${c}": cannot cast `)} || left(${field(c)}, 200) || ${literal(` to ${type}`)}`,
    ),
  ];
  const columns = Object.keys(spec.schema).map(ident);
  return {
    sql:
      `INSERT INTO ${ident(STAGE_TABLE)} (${columns.join(', ')}, "__file", "__line", "__raw", "__reason") ` +
      `SELECT ${Object.entries(spec.schema)
        .map(([c, type]) => cast(c, type))
        .join(', ')}, $display, line, CASE WHEN reason IS NULL THEN NULL ELSE raw END, reason FROM (` +
      `SELECT raw, line, j, CASE ${reasons.join(' ')} END AS reason FROM (` +
      `SELECT raw, line, CASE WHEN json_valid(raw) AND json_type(raw) = 'OBJECT' THEN from_json(raw, $structure) END AS j ` +
      `FROM (${rowsSql}) WHERE raw IS NOT NULL AND trim(raw) <> ''))`,
    params: { file: params.file, display: params.display, structure },
  };
}

/** Counts of the staged rows: total, rejected. */
export const stageCounts: Statement = {
  sql: `SELECT count(*) AS total, count("__reason") AS rejected FROM ${ident(STAGE_TABLE)}`,
};

/** The first bad record (for failfast): file, line, reason. */
export const firstRejected: Statement = {
  sql: `SELECT "__file" AS file, "__line" AS line, "__reason" AS reason FROM ${ident(STAGE_TABLE)} WHERE "__reason" IS NOT NULL ORDER BY "__file", "__line" LIMIT 1`,
};

/**
 * Builds the batch to write: good rows, one per key (the latest by the ordering column, then the
 * last file and line, so the choice is deterministic), sorted by key because DuckDB merges a
 * sorted source much faster. Partition and lineage columns are bound values.
 */
export function createBatch(
  spec: BackfillSpec,
  partitionValues: Partial<Record<PartitionColumn, number>>,
  lineage: { backfillId: string; loadedAt: string },
): Statement {
  const keys = spec.target.keyColumns.map(ident);
  const params: Params = {};
  const select = Object.keys(spec.schema).map(ident);
  for (const col of spec.target.partitionColumns) {
    params[`p_${col}`] = partitionValues[col] ?? null;
    select.push(`CAST($p_${col} AS INTEGER) AS ${ident(col)}`);
  }
  if (spec.target.lineage) {
    params.backfill_id = lineage.backfillId;
    params.loaded_at = lineage.loadedAt;
    select.push(
      '"__file" AS "_source_file"',
      'CAST($loaded_at AS TIMESTAMP) AS "_loaded_at"',
      '$backfill_id AS "_backfill_id"',
    );
  }
  const order = [
    ...(spec.target.orderingColumn ? [`${ident(spec.target.orderingColumn)} DESC NULLS LAST`] : []),
    '"__file" DESC',
    '"__line" DESC',
  ];
  const dedupe = keys.length
    ? `QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${order.join(', ')}) = 1 ORDER BY ${keys.join(', ')}`
    : '';
  return {
    sql: `CREATE OR REPLACE TEMP TABLE ${ident(BATCH_TABLE)} AS SELECT ${select.join(', ')} FROM ${ident(STAGE_TABLE)} WHERE "__reason" IS NULL ${dedupe}`,
    params,
  };
}

export const batchCount: Statement = { sql: `SELECT count(*) AS n FROM ${ident(BATCH_TABLE)}` };

/**
 * Upsert on the keys. A matched row is only replaced by one at least as new (ordering column, then
 * source file), so partitions may commit in any order and a re-run of an old partition never
 * overwrites a later update.
 */
export function mergeBatch(spec: BackfillSpec): Statement {
  const cols = targetColumns(spec).map(([name]) => ident(name));
  const on = spec.target.keyColumns.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');
  let newer = 'true';
  if (spec.target.orderingColumn) {
    const o = ident(spec.target.orderingColumn);
    const tie = spec.target.lineage
      ? `(s.${o} = t.${o} AND s."_source_file" >= t."_source_file")`
      : `s.${o} = t.${o}`;
    newer = `(t.${o} IS NULL OR s.${o} > t.${o} OR ${tie})`;
  }
  return {
    sql:
      `MERGE INTO ${ident(spec.target.table)} AS t USING ${ident(BATCH_TABLE)} AS s ON ${on} ` +
      `WHEN MATCHED AND ${newer} THEN UPDATE SET ${cols.map((c) => `${c} = s.${c}`).join(', ')} ` +
      `WHEN NOT MATCHED THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')})`,
  };
}

/** Overwrite: the partition's rows are deleted and the batch inserted, inside the caller's transaction. */
export function deletePartitionRows(
  spec: BackfillSpec,
  partitionValues: Partial<Record<PartitionColumn, number>>,
): Statement {
  const params: Params = {};
  const where = spec.target.partitionColumns.map((col) => {
    params[`p_${col}`] = partitionValues[col] ?? null;
    return `${ident(col)} = $p_${col}`;
  });
  return { sql: `DELETE FROM ${ident(spec.target.table)} WHERE ${where.join(' AND ')}`, params };
}

export function insertBatch(spec: BackfillSpec): Statement {
  const cols = targetColumns(spec).map(([name]) => ident(name));
  return {
    sql: `INSERT INTO ${ident(spec.target.table)} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM ${ident(BATCH_TABLE)}`,
  };
}

/** The partition's quarantine is replaced on each load, so a re-run never duplicates rejects. */
export function replaceRejects(
  spec: BackfillSpec,
  partitionKey: string,
  backfillId: string,
  at: string,
): Statement[] {
  const table = ident(rejectsTable(spec.target.table));
  return [
    { sql: `DELETE FROM ${table} WHERE partition_key = $partition`, params: { partition: partitionKey } },
    {
      sql:
        `INSERT INTO ${table} SELECT $backfill_id, $partition, "__file", "__line", "__raw", "__reason", CAST($at AS TIMESTAMP) ` +
        `FROM ${ident(STAGE_TABLE)} WHERE "__reason" IS NOT NULL ORDER BY "__file", "__line"`,
      params: { backfill_id: backfillId, partition: partitionKey, at },
    },
  ];
}

export const dropWorkTables: Statement[] = [
  { sql: `DROP TABLE IF EXISTS ${ident(STAGE_TABLE)}` },
  { sql: `DROP TABLE IF EXISTS ${ident(BATCH_TABLE)}` },
];

/** DuckDB settings for one worker process; values are validated numbers/sizes, bound where DuckDB allows. */
export function instanceSettings(opts: {
  memoryLimit: string;
  threads: number;
  tempDirectory?: string;
}): Record<string, string> {
  const settings: Record<string, string> = { memory_limit: opts.memoryLimit, threads: String(opts.threads) };
  if (opts.tempDirectory) settings.temp_directory = opts.tempDirectory;
  return settings;
}
