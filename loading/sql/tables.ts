/**
 * Table names and column sets shared by the phases: the staging work tables (TEMP, private to the
 * load's connection), the destination's companion tables, and the columns a target table holds.
 */
import type { BackfillSpec } from '../../common/spec';
import { LINEAGE_COLUMNS } from '../../common/spec/checks';
import { ident } from './quote';

export type ColumnTypes = Record<string, string>;

/** Raw records of the file being read. */
export const RAW_TABLE = '__backfill_raw';
/** Raw records of every staged file of the partition. */
export const RECORDS_TABLE = '__backfill_records';
/** Typed records, rejects kept with their reason. */
export const STAGE_TABLE = '__backfill_stage';
/** The deduped rows to write. */
export const BATCH_TABLE = '__backfill_batch';

export const rejectsTable = (table: string) => `${table}__rejects`;
export const tombstonesTable = (table: string) => `${table}__tombstones`;

export { LINEAGE_COLUMNS } from '../../common/spec/checks';

/** Columns of the target table, in order: schema, partition columns, lineage. */
export function targetColumns(spec: BackfillSpec, schema: ColumnTypes = spec.schema): [string, string][] {
  const columns: [string, string][] = Object.entries(schema);
  for (const col of spec.target.partitionColumns) columns.push([col, 'INTEGER']);
  if (spec.target.lineage) columns.push(...(Object.entries(LINEAGE_COLUMNS) as [string, string][]));
  return columns;
}

/** Key, ordering value and source file: what a tombstone remembers of a merged delete. */
export const tombstoneColumns = (spec: BackfillSpec) => [
  ...spec.target.keyColumns,
  ...(spec.target.orderingColumn ? [spec.target.orderingColumn] : []),
  ...(spec.target.lineage ? ['_source_file'] : []),
];

/** Whether a row's delete-flag column says "deleted": anything not castable to true does not. */
export const isDeleted = (column: string, alias?: string) =>
  `coalesce(TRY_CAST(${alias ? `${alias}.` : ''}${ident(column)} AS BOOLEAN), false)`;
