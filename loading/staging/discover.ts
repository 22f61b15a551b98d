/**
 * Schema-contract discovery: which keys the partition's records carry beyond the declared schema.
 * Only as much as the contract needs: nothing under discard; otherwise first whether any record has
 * an undeclared key at all (one pass, no key collected), and only if one has, every key (freeze
 * names them in its error) and the value kinds of the undeclared ones (evolve types them).
 * Self-describing files (Parquet) give their keys without a scan.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../common/spec';
import { queryRows } from '../duckdb';
import { reservedColumns, type DiscoveredColumn } from '../schema-contract';
import * as sql from '../sql';

/**
 * Source keys, and the value kinds of those the spec does not declare (only they need a type).
 * `fileKeys`: the keys of the partition's records when the files' schemas tell them (see stageFiles).
 */
export async function discoverColumns(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  fileKeys?: string[],
): Promise<DiscoveredColumn[]> {
  if (spec.schemaContract === 'discard') return [];
  const known = new Set([...Object.keys(spec.schema), ...reservedColumns(spec)]);
  if (fileKeys && fileKeys.every((k) => known.has(k))) return fileKeys.map((name) => ({ name, kinds: [] }));
  if (!fileKeys) {
    const found = await queryRows(conn, sql.hasUnknownKey([...known]));
    // No undeclared key: the declared schema stands, as it would with every key listed.
    if (found.length === 0) return [];
  }
  const keys = fileKeys ?? (await queryRows<{ name: string }>(conn, sql.discoverKeys)).map((r) => r.name);
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
