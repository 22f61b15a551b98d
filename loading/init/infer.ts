/**
 * From the sample to the spec's columns: DuckDB's sniffed types mapped to types the spec accepts,
 * then checked against the loader's own rules (each value's JSON text, loading/sql/exact-cast.ts) so no
 * sampled record would be rejected; a column that fails is widened to VARCHAR and says why. Key
 * and ordering columns are suggested from what the sample shows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { exactCast } from '../sql/exact-cast';
import { ident } from '../sql/quote';
import { COLUMN_TYPE_PATTERN } from '../../common/spec';
import { SAMPLE_RAW, sampledObjects, type Sample } from './sample';

export interface InferredColumn {
  name: string;
  type: string;
  /** Why the type is what it is, when the sample was not clear-cut (becomes a YAML comment). */
  note?: string;
}

const NESTED = /^(STRUCT|MAP|UNION)\(|\[\d*\]$/;

/** A sniffed DuckDB type as a type the spec accepts (nested values are kept as JSON). */
export function specType(duckType: string): { type: string; note?: string } {
  const t = duckType.toUpperCase();
  if (NESTED.test(t))
    return {
      type: 'JSON',
      note: `nested (${duckType.length > 40 ? `${duckType.slice(0, 40)}…` : duckType}), kept as JSON`,
    };
  if (/^TIMESTAMP_(NS|MS|S)$/.test(t)) return { type: 'TIMESTAMP' };
  if (t === 'TIMESTAMP WITH TIME ZONE') return { type: 'TIMESTAMPTZ' };
  if (t === '"NULL"' || t === 'NULL') return { type: 'VARCHAR', note: 'always null in the sample' };
  if (t === 'UHUGEINT') return { type: 'HUGEINT' };
  if (COLUMN_TYPE_PATTERN.test(t)) return { type: t };
  return { type: 'VARCHAR', note: `sniffed as ${duckType}, which the spec does not accept` };
}

const NUMBER_KINDS = new Set(['UBIGINT', 'BIGINT', 'DOUBLE']);
const path = (column: string) => `$.${JSON.stringify(column)}`;

export async function inferColumns(conn: DuckDBConnection, sample: Sample): Promise<InferredColumn[]> {
  const columns: InferredColumn[] = sample.columns.map(({ name, type }) => {
    const mapped = specType(type);
    const notes = [mapped.note];
    const byFile = sample.perFile.get(name);
    if (byFile && byFile.size > 1) {
      notes.push(
        `typed differently by file: ${[...byFile].map(([t, f]) => `${t} (${f[0]}${f.length > 1 ? ` +${f.length - 1}` : ''})`).join(', ')} → ${mapped.type}`,
      );
    }
    return {
      name,
      type: mapped.type,
      ...(notes.some(Boolean) ? { note: notes.filter(Boolean).join('; ') } : {}),
    };
  });
  const kinds =
    sample.format === 'csv' || sample.format === 'parquet'
      ? new Map<string, string[]>()
      : await jsonKinds(conn, columns);
  await widenUncastable(conn, columns, kinds);
  await narrowQuotedDecimals(conn, columns, kinds);
  return columns;
}

/** Columns whose JSON values come in more than one kind (1 here, "1" there), numbers aside. */
async function jsonKinds(conn: DuckDBConnection, columns: InferredColumn[]): Promise<Map<string, string[]>> {
  const mixed = new Map<string, string[]>();
  for (const column of columns) {
    const reader = await conn.runAndReadAll(
      `SELECT list(DISTINCT kind ORDER BY kind) AS kinds FROM (SELECT json_type(json_extract(raw, $path)) AS kind ` +
        `FROM ${ident(SAMPLE_RAW)} WHERE json_valid(raw) AND json_exists(raw, $path)) WHERE kind <> 'NULL'`,
      { path: path(column.name) },
    );
    const kinds = ((reader.getRowObjectsJS()[0]?.kinds as string[] | null) ?? []).filter(Boolean);
    if (kinds.length > 1 && !kinds.every((k) => NUMBER_KINDS.has(k))) mixed.set(column.name, kinds);
  }
  return mixed;
}

/** The loader casts each value's text to the column type: any sampled value that fails widens it. */
async function widenUncastable(
  conn: DuckDBConnection,
  columns: InferredColumn[],
  mixed: Map<string, string[]>,
) {
  const sample = sampledObjects(columns);
  for (const column of columns) {
    if (column.type === 'VARCHAR') continue;
    const value = `j.${ident(column.name)}`;
    // The loader's exact rules (a value it would reject or change makes the column VARCHAR).
    const typed = exactCast(column.name, column.type, value, '"__x"');
    const reader = await conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS bad, any_value(${value}) AS example FROM (SELECT j, ${typed.cast} AS "__x" FROM ` +
        `${sample.sql}) WHERE (${typed.reason}) IS NOT NULL`,
      sample.params,
    );
    const row = reader.getRowObjectsJS()[0] as { bad: number; example: string | null };
    if (row.bad > 0) {
      const example = String(row.example ?? '').slice(0, 40);
      const note = `${row.bad} sampled value(s) such as "${example}" do not cast to ${column.type}; widened to VARCHAR`;
      column.note = column.note ? `${column.note}; ${note}` : note;
      column.type = 'VARCHAR';
    }
  }
  for (const [name, kinds] of mixed) {
    const column = columns.find((c) => c.name === name)!;
    // The kinds say why in fewer words than the failed cast did.
    column.note = `mixed in the sample: ${kinds.join(', ')} → ${column.type}`;
  }
}

/**
 * Amounts often arrive as strings ("12.50"), which the JSON sniffer keeps as VARCHAR. When every
 * sampled value is a decimal with a point, DECIMAL keeps them exact and summable; strings of digits
 * alone (zip codes, ids with leading zeros) stay text.
 */
async function narrowQuotedDecimals(
  conn: DuckDBConnection,
  columns: InferredColumn[],
  mixed: Map<string, string[]>,
) {
  const sample = sampledObjects(columns);
  for (const column of columns) {
    if (column.type !== 'VARCHAR' || column.note || mixed.has(column.name)) continue;
    const value = `j.${ident(column.name)}`;
    const reader = await conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS n, count(*) FILTER (NOT regexp_full_match(${value}, '-?[0-9]{1,15}[.][0-9]{1,6}'))::INTEGER AS other, ` +
        `coalesce(max(length(split_part(${value}, '.', 2))), 0)::INTEGER AS scale FROM ` +
        `${sample.sql} WHERE ${value} IS NOT NULL`,
      sample.params,
    );
    const row = reader.getRowObjectsJS()[0] as { n: number; other: number; scale: number };
    if (row.n > 0 && row.other === 0) {
      column.type = `DECIMAL(${15 + row.scale},${row.scale})`;
      column.note = 'decimals in quotes in the sample: DECIMAL keeps them exact';
    }
  }
}
