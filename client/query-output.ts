/**
 * Query results for people and for tools: a kubectl-like table (no rules, numbers right-aligned),
 * a JSON array of objects, or CSV (RFC 4180 quoting).
 */
import Table from 'cli-table3';
import type { DuckDBResultReader } from '@duckdb/node-api';

export type OutputFormat = 'table' | 'json' | 'csv';

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/;
const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const BLANK = Object.fromEntries(
  ['top', 'top-mid', 'top-left', 'top-right', 'bottom', 'bottom-mid', 'bottom-left', 'bottom-right']
    .concat(['left', 'left-mid', 'mid', 'mid-mid', 'right', 'right-mid'])
    .map((k) => [k, '']),
);

const text = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);

export function renderResult(reader: DuckDBResultReader, format: OutputFormat): string {
  const names = reader.columnNames();
  const types = reader.columnTypes().map(String);
  const rows = reader.getRowsJson() as unknown[][];
  switch (format) {
    case 'json': {
      // Integers within 2^53 as numbers (counts, ids); decimals stay exact strings.
      const value = (v: unknown, i: number) =>
        typeof v === 'string' && INTEGER.test(types[i]!) && Number.isSafeInteger(Number(v)) ? Number(v) : v;
      return JSON.stringify(
        rows.map((row) => Object.fromEntries(names.map((n, i) => [n, value(row[i], i)]))),
        null,
        2,
      );
    }
    case 'csv': {
      const field = (v: unknown) => {
        const s = text(v);
        return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
      };
      return [names, ...rows].map((row) => row.map(field).join(',')).join('\n');
    }
    case 'table': {
      const table = new Table({
        head: names,
        chars: { ...BLANK, middle: '   ' },
        style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
        colAligns: types.map((t) => (NUMERIC.test(t) ? 'right' : 'left')),
      });
      for (const row of rows) table.push(row.map((v) => (v === null ? 'NULL' : text(v))));
      return table
        .toString()
        .split('\n')
        .map((line) => line.trimEnd())
        .join('\n');
    }
  }
}
