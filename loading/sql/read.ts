/**
 * Read phase: each source file into the raw table, one statement per file, so every record keeps
 * its file and line. NDJSON and JSON arrays are kept as text; CSV and Parquet rows become JSON
 * objects of their fields, so every format shares one typed pipeline (see stage.ts).
 */
import { ident, literal } from './quote';
import type { Statement } from './statement';
import { RAW_TABLE, RECORDS_TABLE } from './tables';

/** Raw records of one file: where each came from, its text, and a reason if it failed to parse. */
export const createRawTable: Statement = {
  sql: `CREATE OR REPLACE TEMP TABLE ${ident(RAW_TABLE)} ("__file" VARCHAR, "__line" BIGINT, "__raw" VARCHAR, "__reason" VARCHAR)`,
};

export const clearRawTable: Statement = { sql: `DELETE FROM ${ident(RAW_TABLE)}` };

/** Reader options that send the lines DuckDB cannot read to `table` instead of failing the file. */
const storeRejects = (table: string) =>
  `store_rejects = true, rejects_table = ${literal(table)}, rejects_scan = ${literal(`${table}_scan`)}`;

/**
 * The bound `$file` read as whole lines into one VARCHAR column `raw`: no quoting, and the 0x1F
 * "delimiter" never splits a valid JSON line (raw control characters are invalid in JSON). DuckDB's
 * line reader allocates twice `maxLineBytes` per scan, so the limit follows the memory limit.
 */
function readLines(options: { maxLineBytes?: number; rejects?: string | undefined } = {}): string {
  const args = [
    "columns = {'raw': 'VARCHAR'}",
    'header = false',
    "delim = E'\\x1f'",
    "quote = ''",
    "escape = ''",
    'auto_detect = false',
    'hive_partitioning = false',
  ];
  if (options.maxLineBytes) {
    const max = Math.floor(options.maxLineBytes);
    args.push(`max_line_size = ${max}`, `buffer_size = ${max * 2}`);
  }
  if (options.rejects) args.push(storeRejects(options.rejects));
  return `read_csv($file, ${args.join(', ')})`;
}

const nonBlank = "raw IS NOT NULL AND trim(raw) <> ''";

/**
 * NDJSON is read as lines, so each record keeps its line number and raw text. Blank lines are not
 * records. With `rejects`, lines DuckDB cannot decode (invalid UTF-8) go to that table instead of
 * failing the file.
 */
export function rawNdjson(file: string, display: string, maxLineBytes: number, rejects?: string): Statement {
  return {
    sql:
      `INSERT INTO ${ident(RAW_TABLE)} SELECT $display, line, raw, NULL FROM ${readLines({ maxLineBytes, rejects })} ` +
      `WITH ORDINALITY AS r(raw, line) WHERE ${nonBlank}`,
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

/**
 * The first line of a CSV file, as text (DuckDB decompresses it). The header is parsed from it
 * rather than sniffed: the sniffer gives up on files whose rows disagree with the header, which are
 * exactly the ones whose bad lines must be quarantined.
 */
export function csvFirstLine(file: string): Statement {
  return { sql: `SELECT raw FROM ${readLines()} LIMIT 1`, params: { file } };
}

/** The first non-blank line of a text file (compressed ones included), for sniffing JSON arrays. */
export function firstNonBlankLine(file: string, maxLineBytes: number): Statement {
  return {
    sql: `SELECT raw FROM ${readLines({ maxLineBytes })} WHERE ${nonBlank} LIMIT 1`,
    params: { file },
  };
}

export interface CsvDialect {
  header: boolean;
  delimiter: string;
  quote: string;
  escape?: string | undefined;
  nullString: string;
}

const csvArgs = (columns: string[], rejects: string) =>
  `read_csv($file, header = $header, delim = $delim, quote = $quote, escape = $escape, nullstr = $nullstr, auto_detect = false, ` +
  `columns = {${columns.map((c) => `${literal(c)}: 'VARCHAR'`).join(', ')}}, hive_partitioning = false, ${storeRejects(rejects)})`;
const csvParams = (file: string, csv: CsvDialect) => ({
  file,
  header: csv.header,
  delim: csv.delimiter,
  quote: csv.quote,
  escape: csv.escape ?? csv.quote,
  nullstr: csv.nullString,
});

const asJsonObject = (columns: string[]) =>
  `CAST(to_json(struct_pack(${columns.map((c) => `${ident(c)} := ${ident(c)}`).join(', ')})) AS VARCHAR)`;

/**
 * CSV rows become JSON objects of their text fields. Lines DuckDB cannot split into the header's
 * columns land in a rejects table (with their line and text) instead of failing the read;
 * `rawRejects` moves them into the raw table as bad records.
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
      `${csvArgs(columns, rejects)} WITH ORDINALITY`,
    params: { ...csvParams(file, csv), display },
  };
}

/** The lines a reader stored in `rejects` become bad records of the raw table; its tables are dropped. */
export function rawRejects(display: string, rejects: string, what = 'malformed CSV'): Statement[] {
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

/** Column names of a Parquet file. */
export function describeParquet(file: string): Statement {
  return { sql: 'DESCRIBE SELECT * FROM read_parquet($file, hive_partitioning = false)', params: { file } };
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

/** The records table, empty: below the resume threshold the raw records are appended to it directly. */
export const createRecordsTable: Statement = {
  sql: `CREATE OR REPLACE TEMP TABLE ${ident(RECORDS_TABLE)} ("__file" VARCHAR, "__line" BIGINT, "__raw" VARCHAR, "__reason" VARCHAR)`,
};

/** One file's raw records appended to the records table (no Parquet write: nothing to resume from). */
export const appendRawFile: Statement = {
  sql: `INSERT INTO ${ident(RECORDS_TABLE)} SELECT * FROM ${ident(RAW_TABLE)}`,
};

/** All staged files of the partition, as one table. */
export const loadRecords = (glob: string): Statement => ({
  sql: `CREATE OR REPLACE TEMP TABLE ${ident(RECORDS_TABLE)} AS SELECT * FROM read_parquet($glob)`,
  params: { glob },
});
