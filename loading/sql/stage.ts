/**
 * Stage phase: the partition's raw records typed against the effective schema in one pass; a record
 * that does not fit keeps its raw text and the reason (the quarantine). Key discovery for the schema
 * contract reads the same records first.
 */
import { DEFAULT_TYPING, exactCast, type TypingOptions } from './exact-cast';
import { lastValueWins, repeatsKey } from './json-duplicates';
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

/** A column the schema contract added, on a stage table the optimistic read already filled. */
export const addStageColumn = (name: string, type: string): Statement => ({
  sql: `ALTER TABLE ${ident(STAGE_TABLE)} ADD COLUMN ${ident(name)} ${type}`,
});

/**
 * Parses every raw record, types each column exactly (exact-cast.ts: a value that does not fit is
 * never changed) and records the first reason a record is bad: unparseable, not an object, a null
 * key, or a value that does not fit its column. A key given twice keeps its last value
 * (json-duplicates.ts). Each column's cast is computed once ("__x<i>"), then checked and selected.
 */
export function stageFromRaw(
  schema: ColumnTypes,
  keyColumns: string[],
  typing: TypingOptions = DEFAULT_TYPING,
): Statement {
  const names = Object.keys(schema);
  const structure = JSON.stringify(Object.fromEntries(names.map((c) => [c, 'VARCHAR'])));
  const field = (c: string) => `j.${ident(c)}`;
  const typed = names.map((c, i) => exactCast(c, schema[c]!, field(c), ident(`__x${i}`), typing));
  const misfits = typed.map((t) => t.reason).filter((r) => r !== 'NULL');
  const reasons = [
    'WHEN reason IS NOT NULL THEN reason',
    // keys is NULL exactly when the record is not a valid object, so valid records are parsed once less.
    `WHEN keys IS NULL AND NOT json_valid(raw) THEN 'malformed JSON'`,
    `WHEN keys IS NULL THEN 'not a JSON object'`,
    ...keyColumns.map((k) => `WHEN ${field(k)} IS NULL THEN ${literal(`null key column "${k}"`)}`),
    ...(misfits.length ? [`ELSE coalesce(${misfits.join(', ')})`] : []),
  ];
  const json = `CASE WHEN ${repeatsKey('keys', names)} THEN ${lastValueWins('raw', 'keys')} ELSE raw END`;
  return {
    sql:
      `INSERT INTO ${ident(STAGE_TABLE)} (${names.map(ident).join(', ')}, "__file", "__line", "__raw", "__reason") ` +
      `SELECT ${typed.map((t) => `CASE WHEN bad IS NULL THEN ${t.value} END`).join(', ')}, ` +
      `file, line, CASE WHEN bad IS NULL THEN NULL ELSE raw END, bad FROM (` +
      `SELECT *, CASE ${reasons.join(' ')} END AS bad FROM (` +
      `SELECT *, ${typed.map((t, i) => `${t.cast} AS ${ident(`__x${i}`)}`).join(', ')} FROM (` +
      `SELECT file, raw, line, reason, keys, CASE WHEN keys IS NOT NULL THEN from_json(${json}, $structure) END AS j FROM (` +
      `SELECT "__file" AS file, "__raw" AS raw, "__line" AS line, "__reason" AS reason, ` +
      `CASE WHEN ${VALID_OBJECT} THEN json_keys("__raw") END AS keys ` +
      `FROM ${ident(RECORDS_TABLE)}))))`,
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
