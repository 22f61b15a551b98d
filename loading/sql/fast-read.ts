/**
 * The optimistic read (fast path): one NDJSON file read by DuckDB's typed JSON reader with the
 * declared columns as text, typed by the same exact-cast rules as the line-level path, straight
 * into the fast table. The statement succeeds only when the file is clean; anything the line-level
 * path would treat specially makes it fail, and the caller reads that file the line-level way:
 *  - a malformed line, a record that is not an object, a byte order mark, invalid UTF-8, a lone
 *    surrogate: the strict reader (ignore_errors false) fails on each;
 *  - a declared key given twice (the line path keeps the last value, DuckDB's reader the first):
 *    the strict reader fails ("duplicate key");
 *  - a null key or a value that does not fit its column exactly: `error()` in the same pass.
 * The reader's text of a value equals from_json's (both use DuckDB's JSON transform), so the typed
 * values equal the line path's. "__line" is the record's position in the file (not its physical
 * line): clean files have no rejects, and dedupe only needs the order within a file.
 */
import { DEFAULT_TYPING, exactCast, type TypingOptions } from './exact-cast';
import { ident, literal } from './quote';
import type { Statement } from './statement';
import { FAST_TABLE, STAGE_TABLE, type ColumnTypes } from './tables';

/** The fast table: the declared columns, typed, and where each row came from. */
export function createFastTable(schema: ColumnTypes): Statement {
  const cols = Object.entries(schema).map(([name, type]) => `${ident(name)} ${type}`);
  return {
    sql: `CREATE OR REPLACE TEMP TABLE ${ident(FAST_TABLE)} (${cols.join(', ')}, "__file" VARCHAR, "__line" BIGINT)`,
  };
}

/** Appends one clean NDJSON file to the fast table; fails (nothing appended) on any bad record. */
export function fastNdjson(
  file: string,
  display: string,
  schema: ColumnTypes,
  keyColumns: string[],
  maxLineBytes: number,
  typing: TypingOptions = DEFAULT_TYPING,
): Statement {
  const names = Object.keys(schema);
  // Positional aliases: a declared column named like a work column cannot collide.
  const text = (i: number) => ident(`__c${i}`);
  const typed = names.map((c, i) => exactCast(c, schema[c]!, text(i), ident(`__x${i}`), typing));
  const misfits = typed.map((t) => t.reason).filter((r) => r !== 'NULL');
  const bad = [
    ...keyColumns.map((k) => `${text(names.indexOf(k))} IS NULL`),
    ...(misfits.length ? [`coalesce(${misfits.join(', ')}) IS NOT NULL`] : []),
  ];
  const columns = names.map((c) => `${literal(c)}: 'VARCHAR'`).join(', ');
  const line = bad.length
    ? `CASE WHEN ${bad.join(' OR ')} THEN error('bad record: read this file line by line') ELSE "__ord" END`
    : '"__ord"';
  return {
    sql:
      `INSERT INTO ${ident(FAST_TABLE)} (${names.map(ident).join(', ')}, "__file", "__line") ` +
      `SELECT ${typed.map((t) => t.value).join(', ')}, $display, ${line} FROM (` +
      `SELECT *, ${typed.map((t, i) => `${t.cast} AS ${ident(`__x${i}`)}`).join(', ')} FROM read_json($file, ` +
      `format = 'newline_delimited', records = true, columns = {${columns}}, auto_detect = false, ` +
      `ignore_errors = false, maximum_object_size = ${Math.floor(maxLineBytes)}, hive_partitioning = false) ` +
      `WITH ORDINALITY AS r(${names.map((_, i) => text(i)).join(', ')}, "__ord"))`,
    params: { file, display },
  };
}

/** Every top-level key of one NDJSON file's records (schema contract: none may be undeclared). */
export const fastNdjsonKeys = (file: string): Statement => ({
  sql: 'SELECT DISTINCT unnest(json_keys(json)) AS name FROM read_ndjson_objects($file, hive_partitioning = false)',
  params: { file },
});

/** The fast-read rows join the stage table as good rows (columns the contract added stay NULL). */
export function stageFromFast(declared: string[]): Statement {
  const cols = [...declared.map(ident), '"__file"', '"__line"'].join(', ');
  return { sql: `INSERT INTO ${ident(STAGE_TABLE)} (${cols}) SELECT ${cols} FROM ${ident(FAST_TABLE)}` };
}
