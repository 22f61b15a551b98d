/**
 * The optimistic read (fast path): NDJSON files read in one statement by DuckDB's typed JSON reader
 * with the declared columns as text, typed by the same exact-cast rules as the line-level path,
 * straight into the stage table as good rows. The statement succeeds only when every file is clean;
 * anything the line-level path would treat specially makes it fail (nothing is inserted), and the
 * caller tries the files one by one, reading those that fail the line-level way:
 *  - a malformed line, a record that is not an object, a byte order mark after the first line,
 *    invalid UTF-8, a lone surrogate: the strict reader (ignore_errors false) fails on each;
 *  - a declared key given twice (the line path keeps the last value, DuckDB's reader the first):
 *    the strict reader fails ("duplicate key");
 *  - a null key or a value that does not fit its column exactly: `error()` in the same pass.
 * The reader's text of a value equals from_json's (both use DuckDB's JSON transform), so the typed
 * values equal the line path's. "__line" is the record's position in the list of files (not its
 * physical line): clean files have no rejects, and dedupe only needs the order within a file.
 */
import { DEFAULT_TYPING, exactCast, type TypingOptions } from './exact-cast';
import { ident, literal } from './quote';
import type { Params, Statement } from './statement';
import { STAGE_TABLE, type ColumnTypes } from './tables';

/** Local files (bound paths) and the names their rows carry (the source's file names). */
export interface FastFile {
  path: string;
  display: string;
}

const fileList = (files: FastFile[], params: Params) =>
  `[${files.map((f, i) => ((params[`f${i}`] = f.path), `$f${i}`)).join(', ')}]`;

/** Appends the files' records to the stage table (declared columns); fails, appending nothing, on any bad one. */
export function fastNdjson(
  files: FastFile[],
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
  // The message names the file by its index in the list, so the caller sets that file aside.
  const line = bad.length
    ? `CASE WHEN ${bad.join(' OR ')} THEN error(${literal(BAD_FILE_MARK)} || f.i || ')') ELSE "__ord" END`
    : '"__ord"';
  const params: Params = {};
  const list = fileList(files, params);
  const displays = files.map((f, i) => ((params[`d${i}`] = f.display), `($f${i}, $d${i}, ${i})`)).join(', ');
  const columns = names.map((c) => `${literal(c)}: 'VARCHAR'`).join(', ');
  return {
    sql:
      `INSERT INTO ${ident(STAGE_TABLE)} (${names.map(ident).join(', ')}, "__file", "__line") ` +
      // A path the reader names differently would match no file: it fails, never drops the rows.
      `SELECT ${typed.map((t) => t.value).join(', ')}, coalesce(f.display, error('unknown file')), ${line} FROM (` +
      `SELECT *, ${typed.map((t, i) => `${t.cast} AS ${ident(`__x${i}`)}`).join(', ')} FROM read_json(${list}, ` +
      `format = 'newline_delimited', records = true, columns = {${columns}}, auto_detect = false, ` +
      `ignore_errors = false, maximum_object_size = ${Math.floor(maxLineBytes)}, hive_partitioning = false, ` +
      `filename = '__backfill_file') WITH ORDINALITY AS r(${names.map((_, i) => text(i)).join(', ')}, "__path", "__ord")) ` +
      `LEFT JOIN (VALUES ${displays}) AS f(path, display, i) ON "__path" = f.path`,
    params,
  };
}

/** Every top-level key of each file's records (schema contract: none may be undeclared). */
export function fastNdjsonKeys(files: FastFile[]): Statement {
  const params: Params = {};
  return {
    sql:
      `SELECT DISTINCT filename AS path, unnest(json_keys(json)) AS name ` +
      `FROM read_ndjson_objects(${fileList(files, params)}, hive_partitioning = false, filename = true)`,
    params,
  };
}

/** How a failed fast read names the file of a bad record (its index in the statement's list). */
export const BAD_FILE_MARK = 'bad record: read this file line by line (fast-read file #';

/**
 * The file a failed fast read names, as an index into its list: a bad record's (BAD_FILE_MARK), or
 * the one DuckDB's JSON reader names (`in file "<path>",`); undefined when no single file is named.
 */
export function failedFile(message: string, files: FastFile[]): number | undefined {
  const marked = message.indexOf(BAD_FILE_MARK);
  if (marked >= 0) {
    const index = Number(/^\d+/.exec(message.slice(marked + BAD_FILE_MARK.length))?.[0]);
    return Number.isInteger(index) && index < files.length ? index : undefined;
  }
  const named = [...files.keys()].filter((i) => message.includes(`in file "${files[i]!.path}",`));
  return named.length === 1 ? named[0] : undefined;
}
