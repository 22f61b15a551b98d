/**
 * Sharded partitions (spec source.shards): a shard's typed rows, deduped within the shard, and its
 * rejects go to Parquet; the commit builds the partition's stage table back from every shard's
 * Parquet, and the batch phase (batch.ts) dedupes across shards with the same order.
 */
import type { BackfillSpec } from '../../common/spec';
import { latestPerKey } from './batch';
import { ident, literal } from './quote';
import type { Statement } from './statement';
import { STAGE_TABLE, type ColumnTypes } from './tables';

/** The shard's good rows, one per key (the latest, as batch.ts orders), with file and line for the cross-shard dedupe. */
export function copyShardRows(spec: BackfillSpec, schema: ColumnTypes, file: string): Statement {
  const cols = [...Object.keys(schema).map(ident), '"__file"', '"__line"'];
  const dedupe = spec.target.keyColumns.length ? ` ${latestPerKey(spec)}` : '';
  return {
    sql: `COPY (SELECT ${cols.join(', ')} FROM ${ident(STAGE_TABLE)} WHERE "__reason" IS NULL${dedupe}) TO ${literal(file)} (FORMAT parquet)`,
  };
}

/** The shard's rejects: file, line, raw text, reason (the quarantine's columns). */
export const copyShardRejects = (file: string): Statement => ({
  sql: `COPY (SELECT "__file", "__line", "__raw", "__reason" FROM ${ident(STAGE_TABLE)} WHERE "__reason" IS NOT NULL ORDER BY "__file", "__line") TO ${literal(file)} (FORMAT parquet)`,
});

/**
 * Every shard's rows into the partition's stage table (created with the merged schema). A column
 * no shard has stays NULL; one a shard staged as text (a new column, see stage-typed.ts) takes the
 * type all shards' kinds give it.
 */
export function stageFromShardRows(
  schema: ColumnTypes,
  present: ReadonlySet<string>,
  asText: ReadonlySet<string>,
  files: string[],
): Statement {
  const names = Object.keys(schema).filter((c) => present.has(c));
  const values = names.map((c) =>
    asText.has(c) && schema[c]!.toUpperCase() !== 'VARCHAR'
      ? `TRY_CAST(${ident(c)} AS ${schema[c]})`
      : ident(c),
  );
  return {
    sql:
      `INSERT INTO ${ident(STAGE_TABLE)} (${[...names.map(ident), '"__file"', '"__line"'].join(', ')}) ` +
      `SELECT ${[...values, '"__file"', '"__line"'].join(', ')} FROM read_parquet([${files.map(literal).join(', ')}], union_by_name = true)`,
  };
}

export const stageFromShardRejects = (files: string[]): Statement => ({
  sql:
    `INSERT INTO ${ident(STAGE_TABLE)} ("__file", "__line", "__raw", "__reason") ` +
    `SELECT "__file", "__line", "__raw", "__reason" FROM read_parquet([${files.map(literal).join(', ')}])`,
});
