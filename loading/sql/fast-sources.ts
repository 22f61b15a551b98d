/**
 * The optimistic read's typed readers, one per format (see fast-read.ts): each yields, for a group
 * of files read alike, every declared column's text as the line-level path would see it ("__c<i>",
 * NULL when the file lacks the column), the file's path ("__path") and the record's position in the
 * reader's output ("__ord", which orders a file's records as the line-level path's lines do).
 *  - NDJSON and JSON arrays: DuckDB's typed JSON reader with the declared columns as VARCHAR, strict
 *    (ignore_errors false), which gives a value the text from_json gives it (both use DuckDB's JSON
 *    transform) and fails on a malformed record, a non-object or a repeated key.
 *  - CSV: the very read_csv call of the line-level path (sql/read.ts: same dialect, the file's own
 *    header as VARCHAR columns, no sniffing) without its rejects table, so any line it would reject
 *    fails the statement instead. A CSV field is a string, which the line path's JSON round trip
 *    (to_json, then from_json to VARCHAR) gives back unchanged.
 *  - Parquet: the line path's text of a value is from_json(to_json(value)) to VARCHAR (sql/read.ts
 *    turns each row into a JSON object); the same two functions give the same text here, or, for
 *    the plain types where it is the same text, a cast to VARCHAR.
 * Files are matched to columns by their exact names (from_json's key matching is case-sensitive).
 */
import { ident, literal } from './quote';
import type { CsvDialect } from './read';
import type { Params } from './statement';

/** How a candidate file is read (fast-read.ts decides; a file without one is NDJSON). */
export type FastSource =
  | { format: 'ndjson' }
  | { format: 'json' }
  /** The file's columns, as the line path names them (its header, or the declared columns). */
  | { format: 'csv'; columns: string[] }
  /** The file's columns and their Parquet (DuckDB) types: files read together must agree on both. */
  | { format: 'parquet'; columns: string[]; types: string[] };

/** Binds the paths; the SQL list of them. */
export const pathList = (paths: { path: string; at: number }[], params: Params) =>
  `[${paths.map((f) => ((params[`f${f.at}`] = f.path), `$f${f.at}`)).join(', ')}]`;

const text = (i: number) => ident(`__c${i}`);
const field = (i: number) => ident(`__h${i}`);
const varchar = (names: string[]) => names.map((c) => `${literal(c)}: 'VARCHAR'`).join(', ');
/** The alias list of a reader's output: its columns by position, then file name and ordinality. */
const aliases = (count: number, name: (i: number) => string) =>
  `AS r(${Array.from({ length: count }, (_, i) => name(i)).join(', ')}, "__path", "__ord")`;

/** NDJSON (format newline_delimited) or a JSON array (format array) of objects. */
export function jsonSource(
  format: 'newline_delimited' | 'array',
  list: string,
  names: string[],
  maxObjectBytes: number,
): string {
  return (
    `SELECT * FROM read_json(${list}, format = '${format}', records = true, columns = {${varchar(names)}}, ` +
    `auto_detect = false, ignore_errors = false, maximum_object_size = ${Math.floor(maxObjectBytes)}, ` +
    `hive_partitioning = false, filename = '__backfill_file') WITH ORDINALITY ${aliases(names.length, text)}`
  );
}

/** The dialect parameters of sql/read.ts, bound once per statement. */
export function bindDialect(csv: CsvDialect, params: Params): void {
  params.header = csv.header;
  params.delim = csv.delimiter;
  params.quote = csv.quote;
  params.escape = csv.escape ?? csv.quote;
  params.nullstr = csv.nullString;
}

/** CSV files sharing one column list (fast-read.ts gives each file its own). */
export function csvSource(list: string, names: string[], columns: string[]): string {
  const select = names.map((c, i) => {
    const at = columns.indexOf(c);
    return `${at >= 0 ? field(at) : 'CAST(NULL AS VARCHAR)'} AS ${text(i)}`;
  });
  return (
    `SELECT ${select.join(', ')}, "__path", "__ord" FROM read_csv(${list}, header = $header, delim = $delim, ` +
    `quote = $quote, escape = $escape, nullstr = $nullstr, auto_detect = false, columns = {${varchar(columns)}}, ` +
    `hive_partitioning = false, filename = '__backfill_file') WITH ORDINALITY ${aliases(columns.length, field)}`
  );
}

/**
 * Parquet types whose VARCHAR cast is the very text from_json(to_json(value)) gives (checked for
 * their extremes, infinities and BC dates; DuckDB rejects a Parquet string that is not UTF-8 as it
 * reads): the cast is ten times cheaper than the JSON round trip.
 */
const CAST_AS_TEXT = new Set([
  'VARCHAR',
  'BOOLEAN',
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'DATE',
  'TIMESTAMP',
]);

/** Parquet files sharing one schema: each declared column's value as the text of its JSON. */
export function parquetSource(list: string, names: string[], columns: string[], types: string[]): string {
  const select = names.map((c, i) => {
    const at = columns.indexOf(c);
    if (at < 0) return `CAST(NULL AS VARCHAR) AS ${text(i)}`;
    const type = types[at]!;
    const value =
      type === 'VARCHAR'
        ? field(at)
        : CAST_AS_TEXT.has(type)
          ? `CAST(${field(at)} AS VARCHAR)`
          : `from_json(to_json(${field(at)}), '"VARCHAR"')`;
    return `${value} AS ${text(i)}`;
  });
  return (
    `SELECT ${select.join(', ')}, "__path", "__ord" FROM ` +
    `read_parquet(${list}, hive_partitioning = false, filename = '__backfill_file') WITH ORDINALITY ${aliases(columns.length, field)}`
  );
}
