/**
 * Key and ordering suggestions from the typed sample. A key is non-null and unique in the sample,
 * ignoring exact re-deliveries of a record, or unique per version when an ordering column tells
 * versions apart (the same id updated later). Names like *_id win ties; the ordering column is a
 * timestamp, names like updated_at first.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident } from '../sql/quote';
import type { InferredColumn } from './infer';
import { sampledObjects } from './sample';

export interface Suggestion {
  keyColumns: string[];
  orderingColumn?: string;
  /** What the sample showed, for the spec's comments. */
  keyNote: string;
  orderingNote?: string;
}

/** The sample typed as the spec will type it (built by suggestKeys, read by suggestChecks too). */
export const TYPED = '__init_typed';
const KEY_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|VARCHAR|UUID|DECIMAL\(\d+,\s*0\))$/;
const ORDER_TYPES = /^(TIMESTAMP|TIMESTAMPTZ|DATE)$/;

const keyRank = (name: string) =>
  /^(id|uuid|key)$/i.test(name) ? 0 : /(_id|_uuid|_key|Id)$|^id_/.test(name) ? 1 : 2;
const orderRank = (name: string) =>
  /updated|modified|changed|last_?mod|version|ingested|_ts$/i.test(name)
    ? 0
    : /_at$|time|date/i.test(name)
      ? 1
      : 2;

export async function suggestKeys(conn: DuckDBConnection, columns: InferredColumn[]): Promise<Suggestion> {
  const sample = sampledObjects(columns);
  const select = columns
    .map((c) => `TRY_CAST(j.${ident(c.name)} AS ${c.type}) AS ${ident(c.name)}`)
    .join(', ');
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${ident(TYPED)} AS SELECT ${select} FROM ${sample.sql}`,
    sample.params,
  );
  const count = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRowObjectsJS()[0]?.n ?? 0);
  const rows = await count(`SELECT count(*) AS n FROM ${ident(TYPED)}`);
  const distinctRows = await count(`SELECT count(*) AS n FROM (SELECT DISTINCT * FROM ${ident(TYPED)})`);
  const nonNull = async (c: string) =>
    (await count(`SELECT count(${ident(c)}) AS n FROM ${ident(TYPED)}`)) === rows;

  const ordering = [...columns]
    .filter((c) => ORDER_TYPES.test(c.type))
    .sort(
      (a, b) =>
        orderRank(a.name) - orderRank(b.name) || Number(a.type === 'DATE') - Number(b.type === 'DATE'),
    );
  let orderingColumn: string | undefined;
  for (const c of ordering) {
    if (await nonNull(c.name)) {
      orderingColumn = c.name;
      break;
    }
  }

  const candidates = columns
    .filter((c) => KEY_TYPES.test(c.type) && c.name !== orderingColumn)
    .sort((a, b) => keyRank(a.name) - keyRank(b.name));
  for (const c of candidates) {
    if (!(await nonNull(c.name))) continue;
    const distinct = await count(`SELECT count(DISTINCT ${ident(c.name)}) AS n FROM ${ident(TYPED)}`);
    if (distinct === distinctRows) {
      return {
        keyColumns: [c.name],
        ...(orderingColumn ? { orderingColumn } : {}),
        keyNote: `non-null and unique in the ${rows} sampled records${rows > distinctRows ? ` (${rows - distinctRows} exact re-deliveries aside)` : ''}`,
        ...(orderingColumn
          ? {
              orderingNote:
                'a timestamp (updated_at-like names first): on duplicate keys the row with the latest value wins',
            }
          : {}),
      };
    }
    if (orderingColumn && keyRank(c.name) < 2) {
      const versions = await count(
        `SELECT count(*) AS n FROM (SELECT DISTINCT ${ident(c.name)}, ${ident(orderingColumn)} FROM ${ident(TYPED)})`,
      );
      if (versions === distinctRows) {
        return {
          keyColumns: [c.name],
          orderingColumn,
          keyNote: `non-null; ${rows - distinct} of ${rows} sampled records repeat a ${c.name} with another ${orderingColumn} (later versions)`,
          orderingNote: `tells the versions of a ${c.name} apart: the latest wins`,
        };
      }
    }
  }
  return {
    keyColumns: [],
    ...(orderingColumn ? { orderingColumn } : {}),
    keyNote:
      'no column is non-null and unique in the sample: each partition is replaced as a whole (writeMode overwrite); name a key to merge instead',
  };
}
