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
 * The partition's stage table as a view over every shard's Parquet (no copy: the batch phase reads
 * it once, the rejects are read from it once more): the shards' good rows, typed by the merged
 * schema, then their rejects. A column no shard has is NULL; one a shard staged as text (a new
 * column, see stage-typed.ts) takes the type all shards' kinds give it. A spec with a drop check
 * gets a table instead: its drops move rows into the stage's rejects (loading/checks/run.ts).
 */
export function stageViewOverShards(
  schema: ColumnTypes,
  present: ReadonlySet<string>,
  asText: ReadonlySet<string>,
  rowFiles: string[],
  rejectFiles: string[],
  materialize = false,
): Statement {
  const typed = (c: string, type: string) => {
    if (!present.has(c)) return `CAST(NULL AS ${type}) AS ${ident(c)}`;
    if (asText.has(c) && type.toUpperCase() !== 'VARCHAR')
      return `TRY_CAST(${ident(c)} AS ${type}) AS ${ident(c)}`;
    return `CAST(${ident(c)} AS ${type}) AS ${ident(c)}`;
  };
  const cols = Object.entries(schema);
  const rows =
    `SELECT ${[...cols.map(([c, t]) => typed(c, t)), '"__file"', '"__line"', 'CAST(NULL AS VARCHAR) AS "__raw"', 'CAST(NULL AS VARCHAR) AS "__reason"'].join(', ')} ` +
    `FROM read_parquet([${rowFiles.map(literal).join(', ')}], union_by_name = true)`;
  const rejects = rejectFiles.length
    ? ` UNION ALL SELECT ${[...cols.map(([c, t]) => `CAST(NULL AS ${t}) AS ${ident(c)}`), '"__file"', '"__line"', '"__raw"', '"__reason"'].join(', ')} ` +
      `FROM read_parquet([${rejectFiles.map(literal).join(', ')}])`
    : '';
  const kind = materialize ? 'TABLE' : 'VIEW';
  return { sql: `CREATE OR REPLACE TEMP ${kind} ${ident(STAGE_TABLE)} AS ${rows}${rejects}` };
}
