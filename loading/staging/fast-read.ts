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
 *  - the file is NDJSON (also a .json file holding lines), neither .zst nor still compressed, and
 *    its local path has no glob character (a list of paths would expand it);
 *  - no tab byte, no carriage return outside a CRLF line end, not LF and CRLF mixed, no line near
 *    the line-size limit: the line reader and DuckDB's JSON reader disagree on what a
 *    whitespace-only line is (a line of a tab is a malformed record to one, nothing to the other),
 *    on where a lone CR ends one, and the line reader fails a file of mixed line ends;
 *  - under evolve and freeze, every key of its records is declared (or a partition/lineage column):
 *    an undeclared one needs the value kinds the line-level records give;
 *  - no malformed line, non-object, repeated declared key, null key or value that does not fit
 *    exactly (the fast statement fails on each).
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
import { resolveFormat } from './read';

export const READ_PATHS = ['auto', 'line'] as const;
export type ReadPath = (typeof READ_PATHS)[number];

/**
 * Whether a file may try the optimistic read (the conditions a file's bytes and name decide). Glob
 * characters in a local path are left to the line-level path: a list of paths would expand them.
 */
export async function fastCandidate(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  file: SourceFile,
  localPath: string,
  maxLineBytes: number,
): Promise<boolean> {
  if (/\.(gz|zst)$/i.test(localPath) || /[*?[\]{}]/.test(localPath)) return false;
  try {
    if ((await resolveFormat(conn, spec, file, localPath, maxLineBytes)) !== 'ndjson') return false;
    return await plainLines(localPath, maxLineBytes);
  } catch {
    return false; // the line-level path reports what is wrong with the file
  }
}

/**
 * Reads candidate files the fast way, all in one statement. A failure that names its file (a bad
 * record, a malformed line, an undeclared key) sets that file aside and the rest are tried again,
 * so a partition with k dirty files pays k failed statements; a failure that names no file has
 * each remaining file tried alone. Returns the indexes of the files taken (their rows are in the
 * stage table) and the keys their records carry (none under discard, where they are not looked
 * at); the others are for the line-level path. Setting a clean file aside only costs speed.
 */
export async function readFast(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  files: sql.FastFile[],
  maxLineBytes: number,
  signal: AbortSignal,
): Promise<{ taken: Set<number>; keys: string[] }> {
  let rest = [...files.keys()];
  while (rest.length > 0) {
    const attempt = await tryFast(
      conn,
      spec,
      rest.map((i) => files[i]!),
      maxLineBytes,
      signal,
    );
    if ('keys' in attempt) return { taken: new Set(rest), keys: attempt.keys };
    if (attempt.dirty.length === 0) break;
    const dirty = new Set(attempt.dirty.map((i) => rest[i]));
    rest = rest.filter((i) => !dirty.has(i));
  }
  const taken = new Set<number>();
  const keys = new Set<string>();
  if (rest.length > 1) {
    for (const i of rest) {
      const one = await tryFast(conn, spec, [files[i]!], maxLineBytes, signal);
      if (!('keys' in one)) continue;
      taken.add(i);
      one.keys.forEach((k) => keys.add(k));
    }
  }
  return { taken, keys: [...keys] };
}

/** The files' keys when all were read; else the indexes of the files the failure named. */
async function tryFast(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  files: sql.FastFile[],
  maxLineBytes: number,
  signal: AbortSignal,
): Promise<{ keys: string[] } | { dirty: number[] }> {
  try {
    let keys: string[] = [];
    if (spec.schemaContract !== 'discard') {
      const found = await queryRows<{ path: string; name: string }>(conn, sql.fastNdjsonKeys(files));
      const known = new Set([...Object.keys(spec.schema), ...reservedColumns(spec)]);
      const undeclared = new Set(found.filter((r) => !known.has(r.name)).map((r) => r.path));
      if (undeclared.size > 0)
        return { dirty: [...files.keys()].filter((i) => undeclared.has(files[i]!.path)) };
      keys = [...new Set(found.map((r) => r.name))];
    }
    await run(
      conn,
      sql.fastNdjson(files, spec.schema, spec.target.keyColumns, maxLineBytes, {
        timestampOffsets: spec.timestampOffsets ?? 'convert',
      }),
    );
    return { keys };
  } catch (err) {
    // A cancelled load stops here; any other failure only means "not provably clean".
    signal.throwIfAborted();
    const named = sql.failedFile((err as Error).message, files);
    return { dirty: named === undefined ? [] : [named] };
  }
}

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
