/**
 * Read phase: a partition's files into the raw table, one statement per file (so every record keeps
 * its file and line), whatever the format: NDJSON and JSON arrays as text, CSV and Parquet rows as
 * JSON objects of their fields. Typing happens afterwards, in one pass over the raw table.
 */
import { open } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { BackfillError } from '../../common/failures';
import type { BackfillSpec } from '../../common/spec';
import { changedRows, queryRows, run } from '../duckdb';
import { formatOf, type FileFormat, type SourceFile } from '../sources';
import * as sql from '../sql';
import { splitCsvLine } from './csv-header';

/**
 * Appends one file's records to the raw table (see sql.createRawTable). Returns the keys its records
 * carry when the file's schema tells them (Parquet), so key discovery need not scan them.
 */
export async function readRawFile(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  file: SourceFile,
  localPath: string,
  index: number,
  maxLineBytes: number,
): Promise<string[] | undefined> {
  const format = await resolveFormat(conn, spec, file, localPath, maxLineBytes);
  if (!format) {
    throw new BackfillError(
      'ConfigurationError',
      `${file.name}: unknown file format (set source.format, or use .ndjson, .jsonl, .json, .csv or .parquet, optionally .gz)`,
    );
  }
  try {
    switch (format) {
      case 'ndjson':
        try {
          await run(conn, sql.rawNdjson(localPath, file.name, maxLineBytes));
        } catch (err) {
          if (!/Invalid unicode/i.test((err as Error).message)) throw err;
          // Rare: read again keeping the undecodable lines as bad records. Line numbers of the good
          // lines after one of them shift by one, as DuckDB leaves rejected lines out of the count.
          const rejects = `__backfill_utf8_rejects_${index}`;
          await run(conn, sql.clearRawTable);
          await run(conn, sql.rawNdjson(localPath, file.name, maxLineBytes, rejects));
          for (const statement of sql.rawRejects(file.name, rejects, 'not UTF-8')) await run(conn, statement);
        }
        break;
      case 'json':
        await run(conn, sql.rawJsonArray(localPath, file.name));
        break;
      case 'csv': {
        const { names: columns } = await fileColumns(conn, 'csv', localPath, spec);
        const rejects = `__backfill_csv_rejects_${index}`;
        await run(conn, sql.rawCsv(localPath, file.name, columns, spec.source.csv, rejects));
        for (const statement of sql.rawRejects(file.name, rejects)) await run(conn, statement);
        break;
      }
      case 'parquet': {
        const { names: columns } = await fileColumns(conn, 'parquet', localPath, spec);
        // Every row becomes an object of all the columns; a file without rows adds no keys.
        const rows = await changedRows(conn, sql.rawParquet(localPath, file.name, columns));
        return rows > 0 ? columns : [];
      }
    }
    return undefined;
  } catch (err) {
    if (err instanceof BackfillError) throw err;
    throw new BackfillError('SourceReadError', `cannot read ${file.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** A CSV or Parquet file's column names (CSV: header or declared; all VARCHAR) and types. */
export async function fileColumns(
  conn: DuckDBConnection,
  format: 'csv' | 'parquet',
  localPath: string,
  spec: BackfillSpec,
): Promise<{ names: string[]; types: string[] }> {
  if (format === 'parquet') {
    const rows = await queryRows<{ column_name: string; column_type: string }>(
      conn,
      sql.describeParquet(localPath),
    );
    return { names: rows.map((r) => r.column_name), types: rows.map((r) => r.column_type) };
  }
  const [first] = await queryRows<{ raw: string | null }>(conn, sql.csvFirstLine(localPath));
  const fields = splitCsvLine((first?.raw ?? '').replace(/^\uFEFF/, ''), spec.source.csv);
  // Without a header, columns are the declared ones in order.
  const names = spec.source.csv.header ? fields : Object.keys(spec.schema).slice(0, fields.length);
  if (names.some((n) => n === '') || new Set(names).size !== names.length) {
    throw new BackfillError(
      'SourceReadError',
      `CSV header has empty or repeated column names: ${JSON.stringify(fields)}`,
    );
  }
  return { names, types: names.map(() => 'VARCHAR') };
}

/** `.json` files hold either NDJSON or one array: the first non-blank character tells. */
export async function resolveFormat(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  file: SourceFile,
  localPath: string,
  maxLineBytes: number,
): Promise<FileFormat | undefined> {
  const format = formatOf(spec, file.name);
  const name = file.name.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (
    spec.source.format === 'json' ||
    (format === 'ndjson' && spec.source.format === 'auto' && name.endsWith('.json'))
  ) {
    const first = await firstCharacter(conn, localPath, maxLineBytes);
    return first === '[' ? 'json' : 'ndjson';
  }
  return format;
}

/** Gzip is already undone here (see materialize); DuckDB reads through zstd, Node 20 cannot. */
async function firstCharacter(
  conn: DuckDBConnection,
  localPath: string,
  maxLineBytes: number,
): Promise<string | undefined> {
  if (!/\.zst$/i.test(localPath)) {
    const handle = await open(localPath, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
      return buffer.subarray(0, bytesRead).toString('utf8').trimStart()[0];
    } finally {
      await handle.close();
    }
  }
  try {
    const [row] = await queryRows<{ raw: string }>(conn, sql.firstNonBlankLine(localPath, maxLineBytes));
    return row?.raw.replace(/^\uFEFF/, '').trimStart()[0];
  } catch (err) {
    // A first line longer than any NDJSON record may be can only be a (minified) array.
    if (/maximum line size/i.test((err as Error).message)) return '[';
    throw err;
  }
}
