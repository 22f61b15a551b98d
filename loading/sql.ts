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
/** A table in an attached catalog (a destination's database), fully qualified. */
export const qualified = (catalog: string, table: string, schema = 'main') =>
  `${ident(catalog)}.${ident(schema)}.${ident(table)}`;

export const LINEAGE_COLUMNS = {
  _source_file: 'VARCHAR',
  _loaded_at: 'TIMESTAMP',
  _backfill_id: 'VARCHAR',
} as const;
export const STAGE_TABLE = '__backfill_stage';
export const BATCH_TABLE = '__backfill_batch';
export const rejectsTable = (table: string) => `${table}__rejects`;
export const tombstonesTable = (table: string) => `${table}__tombstones`;

/** Columns of the target table, in order: schema, partition columns, lineage. */
export function targetColumns(spec: BackfillSpec, schema: ColumnTypes = spec.schema): [string, string][] {
  const columns: [string, string][] = Object.entries(schema);
  for (const col of spec.target.partitionColumns) columns.push([col, 'INTEGER']);
  if (spec.target.lineage) columns.push(...(Object.entries(LINEAGE_COLUMNS) as [string, string][]));
  return columns;
}

export function createTargetTable(spec: BackfillSpec, schema: ColumnTypes, catalog: string): Statement {
  const cols = targetColumns(spec, schema).map(([name, type]) => `${ident(name)} ${type}`);
  return { sql: `CREATE TABLE IF NOT EXISTS ${qualified(catalog, spec.target.table)} (${cols.join(', ')})` };
}

export function createRejectsTable(spec: BackfillSpec, catalog: string): Statement {
  return {
    sql:
      `CREATE TABLE IF NOT EXISTS ${qualified(catalog, rejectsTable(spec.target.table))} (` +
      'backfill_id VARCHAR, partition_key VARCHAR, source_file VARCHAR, line BIGINT, raw VARCHAR, reason VARCHAR, rejected_at TIMESTAMP)',
  };
}

export type ColumnTypes = Record<string, string>;
export const RAW_TABLE = '__backfill_raw';
export const RECORDS_TABLE = '__backfill_records';

/** Raw records of one file: where each came from, its text, and a reason if it failed to parse. */
export const createRawTable: Statement = {
  sql: `CREATE OR REPLACE TEMP TABLE ${ident(RAW_TABLE)} ("__file" VARCHAR, "__line" BIGINT, "__raw" VARCHAR, "__reason" VARCHAR)`,
};

/**
 * NDJSON is read as lines, so each record keeps its line number and raw text. Raw control
 * characters are invalid in JSON, so the 0x1F "delimiter" never splits a valid line. Blank lines
 * are not records.
 */
export function rawNdjson(file: string, display: string, maxLineBytes: number, rejects?: string): Statement {
  // With `rejects`, lines DuckDB cannot decode (invalid UTF-8) go to that table instead of failing the file.
  const tolerant = rejects
    ? `, store_rejects = true, rejects_table = ${literal(rejects)}, rejects_scan = ${literal(`${rejects}_scan`)}`
    : '';
  return {
    sql:
      `INSERT INTO ${ident(RAW_TABLE)} SELECT $display, line, raw, NULL FROM read_csv($file, columns = {'raw': 'VARCHAR'}, ` +
      `header = false, delim = E'\\x1f', quote = '', escape = '', auto_detect = false, hive_partitioning = false, max_line_size = ${Math.floor(maxLineBytes)}, ` +
      `buffer_size = ${Math.floor(maxLineBytes) * 2}${tolerant}) WITH ORDINALITY AS r(raw, line) WHERE raw IS NOT NULL AND trim(raw) <> ''`,
    params: { file, display },
  };
}

/** A file holding one JSON array of records; each element's position is its "line". */
export function rawJsonArray(file: string, display: string): Statement {
  return {
    sql:
      `INSERT INTO ${ident(RAW_TABLE)} SELECT $display, line, CAST(json AS VARCHAR), NULL FROM read_json($file, ` +
      `format = 'array', records = false, columns = {'json': 'JSON'}, maximum_object_size = 67108864, hive_partitioning = false) ` +
      `WITH ORDINALITY AS r(json, line)`,
    params: { file, display },
  };
}

export interface CsvDialect {
  header: boolean;
  delimiter: string;
  quote: string;
  escape?: string | undefined;
  nullString: string;
}

const csvArgs = (columns: string[], extra = '') =>
  `read_csv($file, header = $header, delim = $delim, quote = $quote, escape = $escape, nullstr = $nullstr, auto_detect = false, ` +
  `columns = {${columns.map((c) => `${literal(c)}: 'VARCHAR'`).join(', ')}}, hive_partitioning = false${extra})`;
const csvParams = (file: string, csv: CsvDialect) => ({
  file,
  header: csv.header,
  delim: csv.delimiter,
  quote: csv.quote,
  escape: csv.escape ?? csv.quote,
  nullstr: csv.nullString,
});

/** Column names of a Parquet file. */
export function describeParquet(file: string): Statement {
  return { sql: 'DESCRIBE SELECT * FROM read_parquet($file, hive_partitioning = false)', params: { file } };
}

/**
 * The first line of a CSV file, as text (DuckDB decompresses it). The header is parsed from it
 * rather than sniffed: the sniffer gives up on files whose rows disagree with the header, which are
 * exactly the ones whose bad lines must be quarantined.
 */
export function csvFirstLine(file: string): Statement {
  return {
    sql:
      `SELECT raw FROM read_csv($file, columns = {'raw': 'VARCHAR'}, header = false, delim = E'\\x1f', quote = '', escape = '', ` +
      `auto_detect = false, hive_partitioning = false) LIMIT 1`,
    params: { file },
  };
}

/** The first non-blank line of a text file (compressed ones included), for sniffing JSON arrays. */
export function firstNonBlankLine(file: string, maxLineBytes: number): Statement {
  return {
    sql:
      `SELECT raw FROM read_csv($file, columns = {'raw': 'VARCHAR'}, header = false, delim = E'\\x1f', quote = '', escape = '', ` +
      `auto_detect = false, hive_partitioning = false, max_line_size = ${Math.floor(maxLineBytes)}, buffer_size = ${Math.floor(maxLineBytes) * 2}) ` +
      `WHERE raw IS NOT NULL AND trim(raw) <> '' LIMIT 1`,
    params: { file },
  };
}

/** Splits one CSV line (the header) by the dialect; inside quotes, escape + quote is a quote. */
export function splitCsvLine(line: string, csv: CsvDialect): string[] {
  const out: string[] = [];
  const escape = csv.escape ?? csv.quote;
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    const next = line[i + 1];
    if (
      quoted &&
      escape &&
      ch === escape &&
      (next === csv.quote || (next === escape && escape !== csv.quote))
    ) {
      field += next;
      i++;
    } else if (csv.quote && ch === csv.quote) {
      quoted = !quoted;
    } else if (ch === csv.delimiter && !quoted) {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field.replace(/\r$/, ''));
  return out.map((f) => f.trim());
}

const asJsonObject = (columns: string[]) =>
  `CAST(to_json(struct_pack(${columns.map((c) => `${ident(c)} := ${ident(c)}`).join(', ')})) AS VARCHAR)`;

/**
 * CSV rows become JSON objects of their text fields, so every format shares one typed pipeline.
 * Lines DuckDB cannot split into the header's columns land in a rejects table (with their line and
 * text) instead of failing the read; `rawCsvRejects` moves them into the raw table as bad records.
 */
export function rawCsv(
  file: string,
  display: string,
  columns: string[],
  csv: CsvDialect,
  rejects: string,
): Statement {
  const offset = csv.header ? 1 : 0;
  return {
    sql:
      `INSERT INTO ${ident(RAW_TABLE)} SELECT $display, ordinality + ${offset}, ${asJsonObject(columns)}, NULL FROM ` +
      `${csvArgs(columns, `, store_rejects = true, rejects_table = ${literal(rejects)}, rejects_scan = ${literal(`${rejects}_scan`)}`)} WITH ORDINALITY`,
    params: { ...csvParams(file, csv), display },
  };
}

export function rawCsvRejects(display: string, rejects: string, what = 'malformed CSV'): Statement[] {
  return [
    {
      sql:
        `INSERT INTO ${ident(RAW_TABLE)} SELECT $display, line, csv_line, ${literal(what)} || ': ' || lower(error_type) || ' (' || error_message || ')' ` +
        `FROM ${ident(rejects)}`,
      params: { display },
    },
    { sql: `DROP TABLE IF EXISTS ${ident(rejects)}` },
    { sql: `DROP TABLE IF EXISTS ${ident(`${rejects}_scan`)}` },
  ];
}

export function rawParquet(file: string, display: string, columns: string[]): Statement {
  return {
    sql:
      `INSERT INTO ${ident(RAW_TABLE)} SELECT $display, ordinality, ${asJsonObject(columns)}, NULL ` +
      `FROM read_parquet($file, hive_partitioning = false) WITH ORDINALITY`,
    params: { file, display },
  };
}

/** A staged file is kept as Parquet so a retry after a crash can resume without reading it again. */
export const saveRawFile = (parquetPath: string): Statement => ({
  sql: `COPY ${ident(RAW_TABLE)} TO ${literal(parquetPath)} (FORMAT parquet, ROW_GROUP_SIZE 16384)`,
});

/** All staged files of the partition, as one table. */
export const loadRecords = (glob: string): Statement => ({
  sql: `CREATE OR REPLACE TEMP TABLE ${ident(RECORDS_TABLE)} AS SELECT * FROM read_parquet($glob)`,
  params: { glob },
});

const VALID_OBJECT = `"__reason" IS NULL AND json_valid("__raw") AND json_type("__raw") = 'OBJECT'`;

/** Every top-level key the partition's records carry (streams; no per-key rows are materialised). */
export const discoverKeys: Statement = {
  sql: `SELECT DISTINCT unnest(json_keys("__raw")) AS name FROM ${ident(RECORDS_TABLE)} WHERE ${VALID_OBJECT} ORDER BY name`,
};

/** The JSON kinds of one key's values across the partition (UBIGINT, DOUBLE, VARCHAR, ...). */
export const keyKinds = (key: string): Statement => ({
  sql:
    `SELECT list(DISTINCT json_type(json_extract("__raw", $path))) AS kinds FROM ${ident(RECORDS_TABLE)} ` +
    `WHERE ${VALID_OBJECT} AND json_exists("__raw", $path)`,
  params: { path: `$.${JSON.stringify(key)}` },
});

/** Staging table: typed columns, where each row came from, and why it was rejected (if it was). */
export function createStageTable(schema: ColumnTypes): Statement {
  const cols = Object.entries(schema).map(([name, type]) => `${ident(name)} ${type}`);
  return {
    sql:
      `CREATE OR REPLACE TEMP TABLE ${ident(STAGE_TABLE)} (${cols.join(', ')}, ` +
      '"__file" VARCHAR, "__line" BIGINT, "__raw" VARCHAR, "__reason" VARCHAR)',
  };
}

/**
 * Parses every raw record, casts each column to its type and records the first reason a record is
 * bad: unparseable, not an object, a null key, or a value that does not fit its column.
 */
export function stageFromRaw(schema: ColumnTypes, keyColumns: string[]): Statement {
  const structure = JSON.stringify(Object.fromEntries(Object.keys(schema).map((c) => [c, 'VARCHAR'])));
  const field = (c: string) => `j.${ident(c)}`;
  const cast = (c: string, type: string) => `TRY_CAST(${field(c)} AS ${type})`;
  const reasons = [
    'WHEN reason IS NOT NULL THEN reason',
    `WHEN NOT json_valid(raw) THEN 'malformed JSON'`,
    `WHEN json_type(raw) <> 'OBJECT' THEN 'not a JSON object'`,
    ...keyColumns.map((k) => `WHEN ${field(k)} IS NULL THEN ${literal(`null key column "${k}"`)}`),
    ...Object.entries(schema).map(
      ([c, type]) =>
        `WHEN ${field(c)} IS NOT NULL AND ${cast(c, type)} IS NULL THEN ` +
        `${literal(`column "${c}": cannot cast `)} || left(${field(c)}, 200) || ${literal(` to ${type}`)}`,
    ),
  ];
  const columns = Object.keys(schema).map(ident);
  return {
    sql:
      `INSERT INTO ${ident(STAGE_TABLE)} (${columns.join(', ')}, "__file", "__line", "__raw", "__reason") ` +
      `SELECT ${Object.entries(schema)
        .map(([c, type]) => `CASE WHEN bad IS NULL THEN ${cast(c, type)} END`)
        .join(', ')}, file, line, CASE WHEN bad IS NULL THEN NULL ELSE raw END, bad FROM (` +
      `SELECT file, raw, line, j, CASE ${reasons.join(' ')} END AS bad FROM (` +
      `SELECT "__file" AS file, "__raw" AS raw, "__line" AS line, "__reason" AS reason, ` +
      `CASE WHEN "__reason" IS NULL AND json_valid("__raw") AND json_type("__raw") = 'OBJECT' THEN from_json("__raw", $structure) END AS j ` +
      `FROM ${ident(RECORDS_TABLE)}))`,
    params: { structure },
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
  schema: ColumnTypes,
  partitionValues: Partial<Record<PartitionColumn, number>>,
  lineage: { backfillId: string; loadedAt: string },
): Statement {
  const keys = spec.target.keyColumns.map(ident);
  const params: Params = {};
  const select = Object.keys(schema).map(ident);
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

/** With a delete-flag column, whether a row says "deleted" (anything not castable to true is not). */
export const deleteFlag = (column: string, alias?: string) =>
  `coalesce(TRY_CAST(${alias ? `${alias}.` : ''}${ident(column)} AS BOOLEAN), false)`;

/**
 * Upsert on the keys. A matched row is only replaced by one at least as new (ordering column, then
 * source file), so partitions may commit in any order and a re-run of an old partition never
 * overwrites a later update. With tombstones, batch rows older than their key's recorded delete are
 * left out of the source (an anti-join, so the commit writes nothing but the target's catalog).
 */
export function mergeBatch(
  spec: BackfillSpec,
  schema: ColumnTypes,
  catalog: string,
  tombstones: boolean,
): Statement {
  const cols = targetColumns(spec, schema).map(([name]) => ident(name));
  const on = keysMatch(spec);
  const newer = sourceIsNewer(spec);
  // With a delete-flag column, the latest version of a key saying "deleted" removes the row.
  const flag = spec.target.deleteColumn ? deleteFlag(spec.target.deleteColumn, 's') : undefined;
  const source = tombstones
    ? `(SELECT * FROM ${ident(BATCH_TABLE)} AS s WHERE NOT EXISTS (SELECT 1 FROM ${qualified(catalog, tombstonesTable(spec.target.table))} AS t ` +
      `WHERE ${on} AND NOT ${newer}))`
    : ident(BATCH_TABLE);
  return {
    sql:
      `MERGE INTO ${qualified(catalog, spec.target.table)} AS t USING ${source} AS s ON ${on} ` +
      (flag ? `WHEN MATCHED AND ${newer} AND ${flag} THEN DELETE ` : '') +
      `WHEN MATCHED AND ${newer} THEN UPDATE SET ${cols.map((c) => `${c} = s.${c}`).join(', ')} ` +
      `WHEN NOT MATCHED${flag ? ` AND NOT ${flag}` : ''} THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')})`,
  };
}

export const keysMatch = (spec: BackfillSpec) =>
  spec.target.keyColumns.map((k) => `t.${ident(k)} = s.${ident(k)}`).join(' AND ');

/** Whether source row s may replace target row t: at least as new (ordering column, then source file). */
export function sourceIsNewer(spec: BackfillSpec): string {
  if (!spec.target.orderingColumn) return 'true';
  const o = ident(spec.target.orderingColumn);
  const tie = spec.target.lineage
    ? `(s.${o} = t.${o} AND s."_source_file" >= t."_source_file")`
    : `s.${o} = t.${o}`;
  return `(t.${o} IS NULL OR s.${o} > t.${o} OR ${tie})`;
}

/**
 * Tombstones remember merged deletes (key, ordering value, source file), so that an older version
 * of a deleted key, in a partition that commits later, does not bring the row back.
 */
export function createTombstonesTable(spec: BackfillSpec, schema: ColumnTypes, catalog: string): Statement {
  const types = new Map(targetColumns(spec, schema));
  const columns = tombstoneColumns(spec).map((c) => `${ident(c)} ${types.get(c) ?? 'VARCHAR'}`);
  return {
    sql: `CREATE TABLE IF NOT EXISTS ${qualified(catalog, tombstonesTable(spec.target.table))} (${columns.join(', ')})`,
  };
}

const tombstoneColumns = (spec: BackfillSpec) => [
  ...spec.target.keyColumns,
  ...(spec.target.orderingColumn ? [spec.target.orderingColumn] : []),
  ...(spec.target.lineage ? ['_source_file'] : []),
];

/** The batch's deletes become (or replace older) tombstones. */
export function recordTombstones(spec: BackfillSpec, catalog: string): Statement {
  const cols = tombstoneColumns(spec).map(ident);
  return {
    sql:
      `MERGE INTO ${qualified(catalog, tombstonesTable(spec.target.table))} AS t ` +
      `USING (SELECT ${cols.join(', ')} FROM ${ident(BATCH_TABLE)} WHERE ${deleteFlag(spec.target.deleteColumn!)}) AS s ON ${keysMatch(spec)} ` +
      `WHEN MATCHED AND ${sourceIsNewer(spec)} THEN UPDATE SET ${cols.map((c) => `${c} = s.${c}`).join(', ')} ` +
      `WHEN NOT MATCHED THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `s.${c}`).join(', ')})`,
  };
}

/** Overwrite: the partition's rows are deleted and the batch inserted, inside the caller's transaction. */
export function deletePartitionRows(
  spec: BackfillSpec,
  partitionValues: Partial<Record<PartitionColumn, number>>,
  catalog: string,
): Statement {
  const params: Params = {};
  const where = spec.target.partitionColumns.map((col) => {
    params[`p_${col}`] = partitionValues[col] ?? null;
    return `${ident(col)} = $p_${col}`;
  });
  return { sql: `DELETE FROM ${qualified(catalog, spec.target.table)} WHERE ${where.join(' AND ')}`, params };
}

export function insertBatch(spec: BackfillSpec, schema: ColumnTypes, catalog: string): Statement {
  const cols = targetColumns(spec, schema).map(([name]) => ident(name));
  const keep = spec.target.deleteColumn ? ` WHERE NOT ${deleteFlag(spec.target.deleteColumn)}` : '';
  return {
    sql: `INSERT INTO ${qualified(catalog, spec.target.table)} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM ${ident(BATCH_TABLE)}${keep}`,
  };
}

/** The target table's columns and types, empty when it does not exist yet. */
export function describeTable(catalog: string, table: string): Statement {
  return {
    sql:
      'SELECT column_name AS name, data_type AS type FROM duckdb_columns() ' +
      "WHERE database_name = $catalog AND schema_name = 'main' AND table_name = $table ORDER BY column_index",
    params: { catalog, table },
  };
}

export const addColumn = (catalog: string, table: string, column: string, type: string): Statement => ({
  sql: `ALTER TABLE ${qualified(catalog, table)} ADD COLUMN ${ident(column)} ${type}`,
});

export const widenColumn = (catalog: string, table: string, column: string, type: string): Statement => ({
  sql: `ALTER TABLE ${qualified(catalog, table)} ALTER COLUMN ${ident(column)} SET DATA TYPE ${type}`,
});

/** The partition's quarantine is replaced on each load, so a re-run never duplicates rejects. */
export function replaceRejects(
  spec: BackfillSpec,
  catalog: string,
  partitionKey: string,
  backfillId: string,
  at: string,
): Statement[] {
  const table = qualified(catalog, rejectsTable(spec.target.table));
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

export const dropRawTables: Statement[] = [
  { sql: `DROP TABLE IF EXISTS ${ident(RAW_TABLE)}` },
  { sql: `DROP TABLE IF EXISTS ${ident(RECORDS_TABLE)}` },
];

export const dropWorkTables: Statement[] = [
  { sql: `DROP TABLE IF EXISTS ${ident(RAW_TABLE)}` },
  { sql: `DROP TABLE IF EXISTS ${ident(RECORDS_TABLE)}` },
  { sql: `DROP TABLE IF EXISTS ${ident(STAGE_TABLE)}` },
  { sql: `DROP TABLE IF EXISTS ${ident(BATCH_TABLE)}` },
];

/** A DuckDB file joins the staging instance as a catalog (ATTACH takes no bound parameters). */
export const attachDatabase = (file: string, catalog: string): Statement => ({
  sql: `ATTACH ${literal(file)} AS ${ident(catalog)}`,
});
export const detachDatabase = (catalog: string): Statement => ({ sql: `DETACH ${ident(catalog)}` });

/** Post-load maintenance: optional rewrite ordered by the cluster columns, then statistics and space. */
export function rewriteOrdered(catalog: string, table: string, clusterBy: string[]): Statement[] {
  const sorted = `${table}__backfill_sorted`;
  return [
    { sql: 'BEGIN TRANSACTION' },
    { sql: `DROP TABLE IF EXISTS ${qualified(catalog, sorted)}` },
    {
      sql: `CREATE TABLE ${qualified(catalog, sorted)} AS SELECT * FROM ${qualified(catalog, table)} ORDER BY ${clusterBy.map(ident).join(', ')}`,
    },
    { sql: `DROP TABLE ${qualified(catalog, table)}` },
    { sql: `ALTER TABLE ${qualified(catalog, sorted)} RENAME TO ${ident(table)}` },
    { sql: 'COMMIT' },
  ];
}

export const analyzeTable = (catalog: string, table: string): Statement => ({
  sql: `ANALYZE ${qualified(catalog, table)}`,
});
export const vacuumTable = (catalog: string, table: string): Statement => ({
  sql: `VACUUM ${qualified(catalog, table)}`,
});
export const checkpoint = (catalog: string): Statement => ({ sql: `CHECKPOINT ${ident(catalog)}` });
export const rowCount = (catalog: string, table: string): Statement => ({
  sql: `SELECT count(*) AS n FROM ${qualified(catalog, table)}`,
});
export const databaseSize = (catalog: string): Statement => ({
  sql: 'SELECT total_blocks * block_size AS bytes FROM pragma_database_size() WHERE database_name = $catalog',
  params: { catalog },
});
