/**
 * Stage phase: the partition's raw records typed against the effective schema in one pass; a record
 * that does not fit keeps its raw text and the reason (the quarantine). Key discovery for the schema
 * contract reads the same records first.
 */
import { ident, literal } from './quote';
import type { Statement } from './statement';
import { RAW_TABLE, RECORDS_TABLE, STAGE_TABLE, type ColumnTypes } from './tables';

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
      `CASE WHEN ${VALID_OBJECT} THEN from_json("__raw", $structure) END AS j ` +
      `FROM ${ident(RECORDS_TABLE)}))`,
    params: { structure },
  };
}

/** The raw text is in the stage table once staged; dropping it frees memory before the dedupe sorts. */
export const dropRawTables: Statement[] = [
  { sql: `DROP TABLE IF EXISTS ${ident(RAW_TABLE)}` },
  { sql: `DROP TABLE IF EXISTS ${ident(RECORDS_TABLE)}` },
];

/** Counts of the staged rows: total, rejected. */
export const stageCounts: Statement = {
  sql: `SELECT count(*) AS total, count("__reason") AS rejected FROM ${ident(STAGE_TABLE)}`,
};

/** The first bad record (for failfast): file, line, reason. */
export const firstRejected: Statement = {
  sql: `SELECT "__file" AS file, "__line" AS line, "__reason" AS reason FROM ${ident(STAGE_TABLE)} WHERE "__reason" IS NOT NULL ORDER BY "__file", "__line" LIMIT 1`,
};
