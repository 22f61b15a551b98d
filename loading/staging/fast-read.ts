/**
 * The optimistic read: clean files go straight from DuckDB's typed reader into the stage table as
 * good rows, and only a file the fast path cannot prove clean is read line by line (read.ts), where
 * each bad record keeps its file, line, raw text and reason. Both give the same rows (see
 * sql/fast-read.ts).
 *
 * A file takes the fast path only when every condition holds; otherwise, or when the fast
 * statement fails for any reason, the line-level path reads it and the result is what it always was:
 *  - BACKFILL_READ_PATH is auto (line forces the line-level path everywhere);
 *  - the partition is below the resume threshold (larger ones keep file-level resume, which stages
 *    the line-level records as Parquet);
 *  - the file is not .zst (DuckDB would decompress it as it reads; a gunzipped .gz is fine) and its
 *    local path has no glob character (a list of paths would expand it);
 *  - NDJSON (also a .json file holding lines): no tab byte, no carriage return outside a CRLF line
 *    end, not LF and CRLF mixed, no line near the line-size limit: the line reader and DuckDB's JSON
 *    reader disagree on what a whitespace-only line is (a line of a tab is a malformed record to
 *    one, nothing to the other), on where a lone CR ends one, and the line reader fails a file of
 *    mixed line ends;
 *  - a JSON array (a .json file starting with `[`): nothing more; the JSON reader reads its
 *    elements as it reads NDJSON lines, in order;
 *  - CSV and Parquet: the file's columns (CSV: its header as the line path parses it, or the
 *    declared columns without one; Parquet: its schema) are readable (else the line path reports
 *    it), no two differ only in case (DuckDB's names ignore case, the line path's JSON keys do not);
 *    CSV and Parquet files are read together only with files of the same columns (and types);
 *  - under evolve and freeze, every key of its records (CSV and Parquet: every column) is declared
 *    (or a partition/lineage column): an undeclared one needs the value kinds the line-level
 *    records give, or fails freeze naming the keys found;
 *  - no malformed record, non-object, repeated declared key, CSV line the line path's reader would
 *    reject, null key or value that does not fit exactly, and (without key columns) no record whose
 *    declared columns are all null: the fast statement fails on each.
 * CSV and Parquet files are candidates whatever their line ends, quoting, byte order mark or value
 * types: the fast read uses the line path's own read_csv call, and Parquet values become the same
 * text through the same functions (or, for plain types, a cast giving the same text: see
 * sql/fast-sources.ts).
 * The partition's candidate files are read in one statement (one scan, both threads busy); a file
 * its failure names is set aside and the rest read again (see readFast).
 */
import { createReadStream } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../common/spec';
import { queryRows, run } from '../duckdb';
import { reservedColumns } from '../schema-contract';
import type { SourceFile } from '../sources';
import * as sql from '../sql';
import { fileColumns, resolveFormat } from './read';

export const READ_PATHS = ['auto', 'line'] as const;
export type ReadPath = (typeof READ_PATHS)[number];

/**
 * How a file may try the optimistic read (the conditions its bytes, name and columns decide), or
 * undefined when it may not. Glob characters in a local path are left to the line-level path: a
 * list of paths would expand them.
 */
export async function fastCandidate(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  file: SourceFile,
  localPath: string,
  maxLineBytes: number,
): Promise<sql.FastSource | undefined> {
  if (/\.(gz|zst)$/i.test(localPath) || /[*?[\]{}]/.test(localPath)) return undefined;
  try {
    const format = await resolveFormat(conn, spec, file, localPath, maxLineBytes);
    switch (format) {
      case 'ndjson':
        return (await plainLines(localPath, maxLineBytes)) ? { format } : undefined;
      case 'json':
        return { format };
      case 'csv':
      case 'parquet': {
        const { names, types } = await fileColumns(conn, format, localPath, spec);
        if (!plainColumns(spec, names)) return undefined;
        return format === 'csv' ? { format, columns: names } : { format, columns: names, types };
      }
      default:
        return undefined;
    }
  } catch {
    return undefined; // the line-level path reports what is wrong with the file
  }
}

/**
 * Whether a CSV or Parquet file's columns are ones the fast path reads as the line path does: no
 * two equal but for case (DuckDB's names are case-insensitive, the line path's JSON keys are not)
 * and, under evolve and freeze, none undeclared (the line path would type or name it).
 */
function plainColumns(spec: BackfillSpec, columns: string[]): boolean {
  if (new Set(columns.map((c) => c.toLowerCase())).size !== columns.length) return false;
  if (spec.schemaContract === 'discard') return true;
  const known = new Set([...Object.keys(spec.schema), ...reservedColumns(spec)]);
  return columns.every((c) => known.has(c));
}

/**
 * Reads candidate files the fast way, all in one statement. A failure that names its file (a bad
 * record, a malformed JSON record, an undeclared key) sets that file aside and the rest are tried
 * again, so a partition with k dirty files pays k failed statements; a failure that names no file
 * (the CSV and Parquet readers' own errors) has each remaining file tried alone. Returns the
 * indexes of the files taken (their rows are in the stage table) and the keys their records carry
 * (none under discard, where they are not looked at); the others are for the line-level path.
 * Setting a clean file aside only costs speed.
 */
export async function readFast(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  files: sql.FastFile[],
  maxLineBytes: number,
  signal: AbortSignal,
): Promise<{ taken: Set<number>; keys: string[] }> {
  let rest = [...files.keys()];
  const taken = new Set<number>();
  const keys = new Set<string>();
  while (rest.length > 0) {
    const attempt = await tryFast(
      conn,
      spec,
      rest.map((i) => files[i]!),
      maxLineBytes,
      signal,
    );
    if ('keys' in attempt) {
      rest.forEach((i) => taken.add(i));
      attempt.keys.forEach((k) => keys.add(k));
      rest = [];
      break;
    }
    if (attempt.dirty.length === 0) break;
    const dirty = new Set(attempt.dirty.map((i) => rest[i]));
    rest = rest.filter((i) => !dirty.has(i));
  }
  if (rest.length > 1) {
    for (const i of rest) {
      const one = await tryFast(conn, spec, [files[i]!], maxLineBytes, signal);
      if (!('keys' in one)) continue;
      taken.add(i);
      one.keys.forEach((k) => keys.add(k));
    }
  }
  // A CSV or Parquet file's records carry its columns, if it has any records.
  const named = files.filter((f, i) => taken.has(i) && columnsOf(f).length > 0);
  if (spec.schemaContract !== 'discard' && named.length > 0) {
    const statement = sql.filesWithRows(named.map((f) => f.display));
    const withRows = new Set((await queryRows<{ file: string }>(conn, statement)).map((r) => r.file));
    for (const f of named) if (withRows.has(f.display)) columnsOf(f).forEach((k) => keys.add(k));
  }
  return { taken, keys: [...keys] };
}

const columnsOf = (f: sql.FastFile) =>
  f.source?.format === 'csv' || f.source?.format === 'parquet' ? f.source.columns : [];

/** The files' keys when all were read; else the indexes of the files the failure named. */
async function tryFast(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  files: sql.FastFile[],
  maxLineBytes: number,
  signal: AbortSignal,
): Promise<{ keys: string[] } | { dirty: number[] }> {
  try {
    const keys = new Set<string>();
    if (spec.schemaContract !== 'discard') {
      // JSON records name their keys one by one; CSV and Parquet files were checked by their columns.
      const ndjson = files.filter((f) => (f.source?.format ?? 'ndjson') === 'ndjson');
      const arrays = files.filter((f) => f.source?.format === 'json');
      const found = [
        ...(ndjson.length ? await pathKeys(conn, sql.fastNdjsonKeys(ndjson)) : []),
        ...(arrays.length ? await pathKeys(conn, sql.fastJsonArrayKeys(arrays)) : []),
      ];
      const known = new Set([...Object.keys(spec.schema), ...reservedColumns(spec)]);
      const undeclared = new Set(found.filter((r) => !known.has(r.name)).map((r) => r.path));
      if (undeclared.size > 0)
        return { dirty: [...files.keys()].filter((i) => undeclared.has(files[i]!.path)) };
      found.forEach((r) => keys.add(r.name));
    }
    await run(
      conn,
      sql.fastRead(files, spec.schema, spec.target.keyColumns, {
        maxLineBytes,
        csv: spec.source.csv,
        typing: { timestampOffsets: spec.timestampOffsets ?? 'convert' },
      }),
    );
    return { keys: [...keys] };
  } catch (err) {
    // A cancelled load stops here; any other failure only means "not provably clean".
    signal.throwIfAborted();
    const named = sql.failedFile((err as Error).message, files);
    return { dirty: named === undefined ? [] : [named] };
  }
}

const pathKeys = (conn: DuckDBConnection, statement: sql.Statement) =>
  queryRows<{ path: string; name: string }>(conn, statement);

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Whether both readers split the file into the same lines (see the module comment): no tab, CR
 * only right before LF, all line ends alike (the line reader fails a file mixing LF and CRLF, the
 * JSON reader does not), every line shorter than the line reader's limit. Buffer.indexOf scans at
 * memchr speed, a few ms for a file of megabytes.
 */
export async function plainLines(file: string, maxLineBytes: number): Promise<boolean> {
  const limit = maxLineBytes - 2;
  let offset = 0;
  let lineStart = 0;
  let crAtEnd = false;
  let crlf = 0;
  let lf = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (chunk.indexOf(TAB) >= 0) return false;
    if (crAtEnd && chunk[0] !== LF) return false;
    for (let i = chunk.indexOf(CR); i >= 0; i = chunk.indexOf(CR, i + 1)) {
      if (i + 1 < chunk.length && chunk[i + 1] !== LF) return false;
      crlf++;
    }
    crAtEnd = chunk[chunk.length - 1] === CR;
    for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) {
      if (offset + i - lineStart >= limit) return false;
      lineStart = offset + i + 1;
      lf++;
    }
    offset += chunk.length;
    if (offset - lineStart >= limit) return false;
  }
  // Every CR is part of a CRLF by now: either every line end is one, or none is.
  return !crAtEnd && (crlf === 0 || crlf === lf);
}
