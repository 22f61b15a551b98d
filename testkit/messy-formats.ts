/**
 * The messy data's CSV, JSON-array and Parquet files (messy-data.ts writes the NDJSON ones): each
 * carries, in a dirty file, what its format can carry of the bad and tricky records, and in any file
 * the format's valid oddities (a shuffled header, CRLF, a byte order mark, quoted line ends; typed
 * Parquet columns: doubles, decimals, TIMESTAMPTZ, TIMESTAMP_NS, nested values), so both read paths
 * meet them.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

type Rng = () => number;
type Row = Record<string, unknown>;
const pick = <T>(random: Rng, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

/** The lines that parse as JSON (a malformed or blank line would make the whole array malformed). */
const parsed = (lines: string[]): unknown[] =>
  lines.flatMap((l) => {
    try {
      return l.trim() ? [JSON.parse(l) as unknown] : [];
    } catch {
      return [];
    }
  });

/** One array of the file's records; a dirty file's elements include its bad ones (non-objects too). */
export function messyJsonArray(random: Rng, lines: string[]): string {
  // The lines as written (a repeated key stays repeated), but those that do not parse.
  const elements = lines.filter((l) => parsed([l]).length === 1);
  return random() < 0.5 ? `[\n${elements.join(',\n')}\n]\n` : `[${elements.join(',')}]`;
}

/**
 * CSV of the records' text fields under a shuffled header; in a dirty file, a few lines with a field
 * too many or too few, an unterminated quote, an empty (null) key or a value that does not fit.
 */
export function messyCsv(random: Rng, columns: string[], records: Row[], dirty: boolean): string {
  const cols = random() < 0.3 ? [...columns].sort(() => random() - 0.5) : columns;
  const quoteAll = random() < 0.5;
  const field = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return quoteAll || /[",\r\n]/.test(s) || s === '' ? `"${s.replaceAll(`"`, `""`)}"` : s;
  };
  const rows = records.map((r) => {
    const record = { ...r };
    if (random() < 0.05) record.note = 'two\nlines';
    let line = cols.map((c) => field(record[c])).join(',');
    if (dirty && random() < 0.15) {
      const kind = Math.floor(random() * 6);
      // An unterminated quote runs to the end of the file: the rest of it is one bad line.
      if (kind === 5) line = `${line},"unterminated`;
      else if (kind === 0) line = `${line},"surplus"`;
      else if (kind === 1) line = line.slice(0, line.lastIndexOf(','));
      else {
        const bad: Row = { ...record, ...[{ id: null }, { n: '1.5' }, { amount: '1.234' }][kind - 2] };
        line = cols.map((c) => field(bad[c])).join(',');
      }
    }
    return line;
  });
  const eol = random() < 0.2 ? '\r\n' : '\n';
  const bom = random() < 0.1 ? '\ufeff' : '';
  return `${bom}${cols.join(',')}${eol}${rows.join(eol)}${eol}`;
}

/** Parquet column types the files are written with, one set per file (all read from the JSON text). */
const PARQUET_VARIANTS: Record<string, string>[] = [
  { n: 'DOUBLE', amount: 'DOUBLE', ts: 'TIMESTAMP', flag: 'BOOLEAN' },
  { n: 'BIGINT', amount: 'DECIMAL(12,3)', ts: 'TIMESTAMPTZ', flag: 'VARCHAR' },
  { n: 'VARCHAR', amount: 'VARCHAR', ts: 'TIMESTAMP_NS', flag: 'VARCHAR' },
];

/**
 * A Parquet file of the lines that are JSON objects (a repeated key keeps its last value), written
 * by DuckDB with one of the typed variants; a file whose records carry an undeclared key keeps it as
 * a column, and some files add a nested column.
 */
export async function writeMessyParquet(
  random: Rng,
  file: string,
  columns: string[],
  lines: string[],
): Promise<void> {
  const objects = parsed(lines).filter(
    (v): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v),
  );
  const extra = objects.some((o) => 'extra' in o);
  const variant = pick(random, PARQUET_VARIANTS);
  const nested = random() < 0.3;
  const source = `${file}.src.ndjson`;
  writeFileSync(source, objects.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const all = [...columns, ...(extra ? ['extra'] : [])];
  const read = `read_json('${source}', format = 'newline_delimited', columns = {${all.map((c) => `${c}: 'VARCHAR'`).join(', ')}})`;
  const select = all.map((c) => (variant[c] ? `TRY_CAST(${c} AS ${variant[c]}) AS ${c}` : c));
  if (nested) select.push(`{'n': TRY_CAST(n AS DOUBLE), 'tags': [note, id]} AS meta`);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    await conn.run(`COPY (SELECT ${select.join(', ')} FROM ${read}) TO '${file}' (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    db.closeSync();
    rmSync(source, { force: true });
  }
}
