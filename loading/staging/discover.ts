/** Schema-contract discovery: which keys the partition's records carry beyond the declared schema. */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../common/spec';
import { queryRows } from '../duckdb';
import type { DiscoveredColumn } from '../schema-contract';
import * as sql from '../sql';

/** Source keys, and the value kinds of those the spec does not declare (only they need a type). */
export async function discoverColumns(
  conn: DuckDBConnection,
  spec: BackfillSpec,
): Promise<DiscoveredColumn[]> {
  const keys = (await queryRows<{ name: string }>(conn, sql.discoverKeys)).map((r) => r.name);
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
