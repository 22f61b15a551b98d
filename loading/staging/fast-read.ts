/**
 * The optimistic read: a clean file goes straight from DuckDB's typed reader into the fast table,
 * and only a file the fast path cannot prove clean is read line by line (read.ts), where each bad
 * record keeps its file, line, raw text and reason. Both give the same rows (see sql/fast-read.ts).
 *
 * A file takes the fast path only when every condition holds; otherwise, or when the fast
 * statement fails for any reason, the line-level path reads it and the result is what it always was:
 *  - BACKFILL_READ_PATH is auto (line forces the line-level path everywhere);
 *  - the partition is below the resume threshold (larger ones keep file-level resume, which stages
 *    the line-level records as Parquet);
 *  - the file is NDJSON (also a .json file holding lines), neither .zst nor still compressed;
 *  - no tab byte, no carriage return outside a CRLF line end, no line near the line-size limit:
 *    the line reader and DuckDB's JSON reader disagree on what a whitespace-only line is (a line
 *    of a tab is a malformed record to one, nothing to the other) and on where a lone CR ends one;
 *  - under evolve and freeze, every key of its records is declared (or a partition/lineage column):
 *    an undeclared one needs the value kinds the line-level records give;
 *  - no malformed line, non-object, repeated declared key, null key or value that does not fit
 *    exactly (the fast statement fails on each).
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
 * Reads one file the fast way. Returns the keys its records carry (none under discard, where they
 * are not looked at), or undefined when the line-level path must read it.
 */
export async function readFast(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  file: SourceFile,
  localPath: string,
  maxLineBytes: number,
  signal: AbortSignal,
): Promise<{ keys: string[] } | undefined> {
  if (/\.(gz|zst)$/i.test(localPath)) return undefined;
  try {
    if ((await resolveFormat(conn, spec, file, localPath, maxLineBytes)) !== 'ndjson') return undefined;
    if (!(await plainLines(localPath, maxLineBytes))) return undefined;
    let keys: string[] = [];
    if (spec.schemaContract !== 'discard') {
      keys = (await queryRows<{ name: string }>(conn, sql.fastNdjsonKeys(localPath))).map((r) => r.name);
      const known = new Set([...Object.keys(spec.schema), ...reservedColumns(spec)]);
      if (!keys.every((k) => known.has(k))) return undefined;
    }
    await run(
      conn,
      sql.fastNdjson(localPath, file.name, spec.schema, spec.target.keyColumns, maxLineBytes, {
        timestampOffsets: spec.timestampOffsets ?? 'convert',
      }),
    );
    return { keys };
  } catch {
    // A cancelled load stops here; any other failure only means "not provably clean".
    signal.throwIfAborted();
    return undefined;
  }
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Whether both readers split the file into the same lines (see the module comment): no tab, CR
 * only right before LF, every line shorter than the line reader's limit. Buffer.indexOf scans at
 * memchr speed, a few ms for a file of megabytes.
 */
export async function plainLines(file: string, maxLineBytes: number): Promise<boolean> {
  const limit = maxLineBytes - 2;
  let offset = 0;
  let lineStart = 0;
  let crAtEnd = false;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (chunk.indexOf(TAB) >= 0) return false;
    if (crAtEnd && chunk[0] !== LF) return false;
    for (let i = chunk.indexOf(CR); i >= 0; i = chunk.indexOf(CR, i + 1)) {
      if (i + 1 < chunk.length && chunk[i + 1] !== LF) return false;
    }
    crAtEnd = chunk[chunk.length - 1] === CR;
    for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) {
      if (offset + i - lineStart >= limit) return false;
      lineStart = offset + i + 1;
    }
    offset += chunk.length;
    if (offset - lineStart >= limit) return false;
  }
  return !crAtEnd;
}
