/**
 * The bounded sample `init` infers from: a few files spread over the partitions found (listed and
 * fetched by the same Source the workers use), and at most `rows` records of them read into
 * DuckDB twice — as DuckDB's sniffer types them, and as the JSON text the loader stages, so the
 * types can be checked against the cast the loader will do.
 */
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { formatOf, type Source, type SourceFile } from '../sources';
import { ident } from '../sql/quote';
import type { SOURCE_FORMATS, BackfillSpec } from '../../common/spec';
import { SourceScanError } from './discover';

export type SpecFormat = (typeof SOURCE_FORMATS)[number];
type Family = Exclude<SpecFormat, 'auto'>;

export interface CsvDialect {
  header: boolean;
  delimiter: string;
  quote: string;
  escape?: string;
}

export interface Sample {
  files: SourceFile[];
  format: SpecFormat;
  compression: string[];
  csv?: CsvDialect;
  rows: number;
  /** Column → sniffed type per file name, to spot columns typed differently by file. */
  perFile: Map<string, Map<string, string[]>>;
  /** Columns in order with the type that fits every sampled file (DuckDB's UNION BY NAME widening). */
  columns: { name: string; type: string }[];
}

/** The raw sample: one row per record, its JSON text as the loader stages it. */
export const SAMPLE_RAW = '__init_raw';

/**
 * The sampled records as a subquery of one struct `j` with every column as text, and its bound
 * parameter: how inference and key suggestion read the sample.
 */
export function sampledObjects(columns: { name: string }[]) {
  return {
    sql:
      `(SELECT from_json(raw, $structure) AS j FROM ${ident(SAMPLE_RAW)} ` +
      `WHERE json_valid(raw) AND json_type(raw) = 'OBJECT')`,
    params: { structure: JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, 'VARCHAR']))) },
  };
}

const familyOf = (spec: BackfillSpec, name: string): Family | undefined => {
  const plain = name.toLowerCase().replace(/\.(gz|zst)$/, '');
  const format = formatOf(spec, name);
  return format === 'ndjson' && plain.endsWith('.json') ? 'json' : format;
};

/** Up to `max` data files, spread evenly over the partitions (first and last included). */
export async function pickFiles(
  source: Source,
  draft: BackfillSpec,
  keys: string[],
  max: number,
): Promise<SourceFile[]> {
  const count = Math.min(max, keys.length);
  const chosen = [
    ...new Set(
      Array.from(
        { length: count },
        (_, i) => keys[Math.round((i * (keys.length - 1)) / Math.max(1, count - 1))]!,
      ),
    ),
  ];
  const lists = await Promise.all(
    chosen.map(async (key) => (await source.list(draft, key)).filter((f) => familyOf(draft, f.name))),
  );
  const picked: SourceFile[] = [];
  for (let round = 0; picked.length < max && lists.some((l) => l.length > round); round++) {
    for (const list of lists) if (list[round] && picked.length < max) picked.push(list[round]!);
  }
  if (!picked.length) {
    const seen = (await source.list(draft, chosen[0]!)).slice(0, 3).map((f) => f.name);
    throw new SourceScanError(
      `${draft.source.uri}: no data files in the sampled partitions (expected .ndjson, .jsonl, .json, .csv, .tsv or .parquet, optionally .gz or .zst${seen.length ? `; found ${seen.join(', ')}` : ''})`,
    );
  }
  return picked;
}

export async function readSample(
  conn: DuckDBConnection,
  source: Source,
  draft: BackfillSpec,
  files: SourceFile[],
  rows: number,
  workDir: string,
): Promise<Sample> {
  const families = files.map((f) => familyOf(draft, f.name)!);
  const distinct = [...new Set(families)];
  const format: SpecFormat =
    distinct.length === 1
      ? distinct[0]!
      : distinct.every((f) => f === 'json' || f === 'ndjson')
        ? 'json'
        : 'auto';
  const compression = [
    ...new Set(files.map((f) => /\.(gz|zst)$/i.exec(f.name)?.[1]?.toLowerCase()).filter((c) => c)),
  ] as string[];
  const perFileRows = Math.max(1, Math.floor(rows / files.length));
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${ident(SAMPLE_RAW)} (file VARCHAR, raw VARCHAR)`);
  let csv: CsvDialect | undefined;
  const perFile = new Map<string, Map<string, string[]>>();
  for (const [i, file] of files.entries()) {
    const local = await source.materialize(draft, file, workDir);
    const family = families[i]!;
    if (family === 'csv') csv ??= await sniffCsv(conn, local, perFileRows);
    const reader = readerOf(family, perFileRows, csv);
    const sniffTable = ident(`__init_sniff_${i}`);
    try {
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${sniffTable} AS SELECT * FROM ${reader.typed} LIMIT 0`, {
        path: local,
        ...reader.params,
      });
      await conn.run(`INSERT INTO ${ident(SAMPLE_RAW)} ${reader.text} LIMIT ${perFileRows}`, {
        path: local,
        name: file.name,
        ...reader.params,
      });
    } catch (err) {
      throw new SourceScanError(`cannot read ${file.name}: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const { name, type } of await describe(conn, sniffTable)) {
      const byType = perFile.get(name) ?? new Map<string, string[]>();
      byType.set(type, [...(byType.get(type) ?? []), path.basename(file.name)]);
      perFile.set(name, byType);
    }
  }
  const union = files.map((_, i) => `(FROM ${ident(`__init_sniff_${i}`)})`).join(' UNION ALL BY NAME ');
  const columns = await describe(conn, `(${union})`);
  if (!columns.length) throw new SourceScanError(`${draft.source.uri}: the sampled records have no fields`);
  const counted = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${ident(SAMPLE_RAW)}`);
  const n = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
  if (n === 0) throw new SourceScanError(`${draft.source.uri}: the sampled files hold no records`);
  return { files, format, compression, ...(csv ? { csv } : {}), rows: n, perFile, columns };
}

async function describe(conn: DuckDBConnection, relation: string) {
  const reader = await conn.runAndReadAll(`DESCRIBE ${relation}`);
  return (reader.getRowObjectsJS() as { column_name: string; column_type: string }[]).map((r) => ({
    name: r.column_name,
    type: r.column_type,
  }));
}

/** Readers per format: typed by DuckDB's sniffer, and as text fields (what the loader sees). */
function readerOf(family: Family, sampleSize: number, csv?: CsvDialect) {
  const size = Math.max(sampleSize, 1024);
  switch (family) {
    case 'ndjson':
    case 'json': {
      const options = `format = 'auto', maximum_object_size = 67108864, hive_partitioning = false`;
      return {
        typed: `read_json_auto($path, ${options}, sample_size = ${size})`,
        // The loader stages each record's own text: no retyping on the way.
        text: `SELECT $name, CAST(json AS VARCHAR) FROM read_json_objects($path, ${options})`,
        params: {},
      };
    }
    case 'csv': {
      const dialect = `delim = $delim, quote = $quote, escape = $escape, header = $header, hive_partitioning = false`;
      const params = {
        delim: csv!.delimiter,
        quote: csv!.quote,
        escape: csv!.escape ?? csv!.quote,
        header: csv!.header,
      };
      return {
        typed: `read_csv($path, ${dialect}, sample_size = ${size})`,
        text: `SELECT $name, CAST(to_json(t) AS VARCHAR) FROM read_csv($path, ${dialect}, all_varchar = true, nullstr = '') t`,
        params,
      };
    }
    case 'parquet':
      return {
        typed: 'read_parquet($path, hive_partitioning = false)',
        text: 'SELECT $name, CAST(to_json(t) AS VARCHAR) FROM read_parquet($path, hive_partitioning = false) t',
        params: {},
      };
  }
}

/** The dialect DuckDB's CSV sniffer finds in one file. */
async function sniffCsv(conn: DuckDBConnection, local: string, sampleSize: number): Promise<CsvDialect> {
  const reader = await conn.runAndReadAll(
    `SELECT "Delimiter" AS delimiter, "Quote" AS quote, "Escape" AS escape, "HasHeader" AS header FROM sniff_csv($path, sample_size = ${Math.max(sampleSize, 1024)})`,
    { path: local },
  );
  const row = reader.getRowObjectsJS()[0] as {
    delimiter: string;
    quote: string;
    escape: string;
    header: boolean;
  };
  const unset = (s: string) => (s === '(empty)' || s === '\0' ? '' : s);
  const quote = unset(row.quote);
  const escape = unset(row.escape);
  return {
    header: row.header,
    delimiter: row.delimiter,
    quote,
    // No escape, or the quote itself, is the spec's default (doubled quotes).
    ...(escape && escape !== quote ? { escape } : {}),
  };
}
