/**
 * The optimistic read (fast path): candidate files read in one statement by DuckDB's typed readers
 * (fast-sources.ts: NDJSON, JSON arrays, CSV, Parquet), every declared column as the text the
 * line-level path would see, typed by the same exact-cast rules, straight into the stage table as
 * good rows. The statement succeeds only when every file is clean; anything the line-level path
 * would treat specially makes it fail (nothing is inserted), and the caller tries the files one by
 * one, reading those that fail the line-level way (CSV files each have their own reader, see
 * fastRead):
 *  - a malformed record, a record that is not an object, a byte order mark after the first line,
 *    invalid UTF-8, a lone surrogate, a CSV line the line path's reader would reject (wrong field
 *    count, bad quoting): the strict readers (ignore_errors false, no rejects table) fail on each;
 *  - a declared key given twice in a JSON object (the line path keeps the last value, DuckDB's
 *    reader the first): the strict reader fails ("duplicate key");
 *  - a null key or a value that does not fit its column exactly: `error()` in the same pass;
 *  - without key columns, a row whose declared columns are all null: a JSON `null` record reads as
 *    such a row (as `{}` does) but is a bad record to the line path, so `error()` too.
 * "__line" is the record's position in its reader's output (not its physical line): clean files have
 * no rejects, and dedupe only needs the order within a file, which is the line path's order. (A spec
 * with a drop check, whose rejects name clean records' lines, reads line by line: stage-typed.ts.)
 */
import { DEFAULT_TYPING, exactCast, type TypingOptions } from './exact-cast';
import { bindDialect, csvSource, jsonSource, parquetSource, pathList, type FastSource } from './fast-sources';
import { ident, literal } from './quote';
import type { CsvDialect } from './read';
import type { Params, Statement } from './statement';
import { STAGE_TABLE, type ColumnTypes } from './tables';

export type { FastSource } from './fast-sources';

/** Local files (bound paths) and the names their rows carry (the source's file names). */
export interface FastFile {
  path: string;
  display: string;
  /** How to read it (fast-read.ts's candidate check); NDJSON when absent. */
  source?: FastSource | undefined;
}

/** The line path's limit on one element of a JSON array (sql/read.ts). */
const MAX_ARRAY_ELEMENT_BYTES = 67108864;

/** Options of the fast statement beyond the schema: the NDJSON line limit, the CSV dialect, typing. */
export interface FastReadOptions {
  maxLineBytes: number;
  csv?: CsvDialect | undefined;
  typing?: TypingOptions | undefined;
}

/** Appends the files' records to the stage table (declared columns); fails, appending nothing, on any bad one. */
export function fastRead(
  files: FastFile[],
  schema: ColumnTypes,
  keyColumns: string[],
  options: FastReadOptions,
): Statement {
  const names = Object.keys(schema);
  const params: Params = {};
  const indexed = files.map((f, at) => ({ ...f, at, source: f.source ?? { format: 'ndjson' as const } }));
  const sources: string[] = [];
  // One reader per kind of file; CSV and Parquet files read together must share their columns.
  const groups = new Map<string, typeof indexed>();
  for (const f of indexed) {
    const s = f.source;
    const key = s.format === 'csv' || s.format === 'parquet' ? JSON.stringify(s) : s.format;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const group of groups.values()) {
    const s = group[0]!.source;
    const list = pathList(group, params);
    if (s.format === 'ndjson')
      sources.push(jsonSource('newline_delimited', list, names, options.maxLineBytes));
    else if (s.format === 'json') sources.push(jsonSource('array', list, names, MAX_ARRAY_ELEMENT_BYTES));
    else if (s.format === 'parquet') sources.push(parquetSource(list, names, s.columns, s.types));
    else {
      if (!options.csv) throw new Error('fastRead: CSV files need the CSV dialect');
      bindDialect(options.csv, params);
      // One reader per CSV file: with one thread, DuckDB's CSV reader given a list of files lets an
      // unterminated quote at the end of a file that is not the last pass without an error (the
      // line is dropped), while the line path's reader of that file alone reports it.
      for (const f of group) sources.push(csvSource(pathList([f], params), names, s.columns));
    }
  }
  return typedInsert(indexed, schema, keyColumns, options.typing ?? DEFAULT_TYPING, sources, params);
}

/** NDJSON files only (the first fast path's entry point, kept for its callers). */
export function fastNdjson(
  files: FastFile[],
  schema: ColumnTypes,
  keyColumns: string[],
  maxLineBytes: number,
  typing: TypingOptions = DEFAULT_TYPING,
): Statement {
  const ndjson = files.map((f) => ({ ...f, source: { format: 'ndjson' as const } }));
  return fastRead(ndjson, schema, keyColumns, { maxLineBytes, typing });
}

/**
 * The INSERT over the readers' union: each column's cast computed once ("__x<i>"), `error()` on a
 * null key or a misfit, the source's file name in place of the local path.
 */
function typedInsert(
  files: (FastFile & { at: number })[],
  schema: ColumnTypes,
  keyColumns: string[],
  typing: TypingOptions,
  sources: string[],
  params: Params,
): Statement {
  const names = Object.keys(schema);
  const text = (i: number) => ident(`__c${i}`);
  const typed = names.map((c, i) => exactCast(c, schema[c]!, text(i), ident(`__x${i}`), typing));
  const misfits = typed.map((t) => t.reason).filter((r) => r !== 'NULL');
  const bad = [
    ...keyColumns.map((k) => `${text(names.indexOf(k))} IS NULL`),
    // A JSON null record reads as a row of nulls, like {}; the line path rejects it. Without a key
    // to be null, a row of nulls is left to the line path.
    ...(keyColumns.length ? [] : [`coalesce(${names.map((_, i) => text(i)).join(', ')}) IS NULL`]),
    ...(misfits.length ? [`coalesce(${misfits.join(', ')}) IS NOT NULL`] : []),
  ];
  // The message names the file by its index in the list, so the caller sets that file aside.
  const line = bad.length
    ? `CASE WHEN ${bad.join(' OR ')} THEN error(${literal(BAD_FILE_MARK)} || f.i || ')') ELSE "__ord" END`
    : '"__ord"';
  const displays = files
    .map((f) => ((params[`d${f.at}`] = f.display), `($f${f.at}, $d${f.at}, ${f.at})`))
    .join(', ');
  const union = sources.map((s) => `(${s})`).join(' UNION ALL ');
  return {
    sql:
      `INSERT INTO ${ident(STAGE_TABLE)} (${names.map(ident).join(', ')}, "__file", "__line") ` +
      // A path the reader names differently would match no file: it fails, never drops the rows.
      `SELECT ${typed.map((t) => t.value).join(', ')}, coalesce(f.display, error('unknown file')), ${line} FROM (` +
      `SELECT *, ${typed.map((t, i) => `${t.cast} AS ${ident(`__x${i}`)}`).join(', ')} FROM (${union})) ` +
      `LEFT JOIN (VALUES ${displays}) AS f(path, display, i) ON "__path" = f.path`,
    params,
  };
}

/** Every top-level key of each NDJSON file's records (schema contract: none may be undeclared). */
export const fastNdjsonKeys = (files: FastFile[]): Statement => jsonKeys(files, 'read_ndjson_objects', '');

/** Every top-level key of each JSON-array file's elements. */
export const fastJsonArrayKeys = (files: FastFile[]): Statement =>
  jsonKeys(
    files,
    'read_json_objects',
    `format = 'array', maximum_object_size = ${MAX_ARRAY_ELEMENT_BYTES}, `,
  );

/** The keys of the files' objects, per file, by the reader that splits them (with its own options). */
function jsonKeys(files: FastFile[], reader: string, options: string): Statement {
  const params: Params = {};
  const list = pathList(
    files.map((f, at) => ({ path: f.path, at })),
    params,
  );
  return {
    sql:
      `SELECT DISTINCT filename AS path, unnest(json_keys(json)) AS name ` +
      `FROM ${reader}(${list}, ${options}hive_partitioning = false, filename = true)`,
    params,
  };
}

/** How a failed fast read names the file of a bad record (its index in the statement's list). */
export const BAD_FILE_MARK = 'bad record: read this file line by line (fast-read file #';

/**
 * The file a failed fast read names, as an index into its list: a bad record's (BAD_FILE_MARK), or
 * the one DuckDB's JSON reader (`in file "<path>",`) or CSV reader (a `  file = <path>` line)
 * names; undefined when no single file is named (then the files are tried one by one). A wrong
 * guess only costs speed: a clean file set aside is read line by line, to the same rows.
 */
export function failedFile(message: string, files: FastFile[]): number | undefined {
  const marked = message.indexOf(BAD_FILE_MARK);
  if (marked >= 0) {
    const index = Number(/^\d+/.exec(message.slice(marked + BAD_FILE_MARK.length))?.[0]);
    return Number.isInteger(index) && index < files.length ? index : undefined;
  }
  const named = [...files.keys()].filter((i) => {
    const { path } = files[i]!;
    return message.includes(`in file "${path}",`) || message.includes(`\n  file = ${path}\n`);
  });
  return named.length === 1 ? named[0] : undefined;
}

/** Which of these files' rows the stage table holds (a file without records adds no keys). */
export function filesWithRows(displays: string[]): Statement {
  const params: Params = {};
  const list = displays.map((d, i) => ((params[`d${i}`] = d), `$d${i}`)).join(', ');
  return {
    sql: `SELECT DISTINCT "__file" AS file FROM ${ident(STAGE_TABLE)} WHERE "__file" IN (${list})`,
    params,
  };
}
