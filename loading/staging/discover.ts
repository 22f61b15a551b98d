/**
 * Schema-contract discovery: which keys the partition's records carry beyond the declared schema.
 * Nothing under discard. Self-describing files (Parquet) give their keys without a scan; text
 * formats are scanned once for every key (an "any undeclared key?" check, list_has_all per record,
 * measured slower than collecting the keys: see BENCHMARKS.md), then the value kinds of the
 * undeclared ones are read (evolve types them; freeze names them in its error).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../common/spec';
import { queryRows } from '../duckdb';
import { reservedColumns, type DiscoveredColumn } from '../schema-contract';
import * as sql from '../sql';

/**
 * Source keys, and the value kinds of those the spec does not declare (only they need a type).
 * `fileKeys`: the keys of the partition's records when the files tell them (see stageFiles);
 * `fastKeys`: the keys of the records the optimistic read took (all known: see fast-read.ts), which
 * are not in the records table the scan reads.
 */
export async function discoverColumns(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  fileKeys?: string[],
  fastKeys: string[] = [],
): Promise<DiscoveredColumn[]> {
  if (spec.schemaContract === 'discard') return [];
  const known = new Set([...Object.keys(spec.schema), ...reservedColumns(spec)]);
  if (fileKeys && fileKeys.every((k) => known.has(k))) return fileKeys.map((name) => ({ name, kinds: [] }));
  const scanned = async () => (await queryRows<{ name: string }>(conn, sql.discoverKeys)).map((r) => r.name);
  const keys = fileKeys ?? byteOrder([...new Set([...(await scanned()), ...fastKeys])]);
  const columns: DiscoveredColumn[] = [];
  for (const name of keys) {
    const kinds =
      name in spec.schema
        ? []
        : ((await queryRows<{ kinds: string[] }>(conn, sql.keyKinds(name)))[0]?.kinds ?? []);
    columns.push({ name, kinds });
  }
  return columns;
}

/** The order discovery's ORDER BY gives (DuckDB compares strings by their UTF-8 bytes). */
export const byteOrder = (keys: string[]) =>
  keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
