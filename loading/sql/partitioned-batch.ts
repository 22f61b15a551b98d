/**
 * Batch phase of a batch commit (spec commit: batch): the stage table holds the records of several
 * partitions, read in one scan. Each row's partition is its file's: a work table maps every file
 * name to the partition's index and partition-column values (bound values). The batch is deduped
 * per partition (the window partitions by the index, then the keys), with the same order as
 * createBatch; each partition then reads its rows and rejects through a view, so a destination
 * writes it with the statements of a single-partition commit.
 */
import type { BackfillSpec } from '../../common/spec';
import { dropsRows } from '../../common/spec/checks';
import { ORIGIN_FILE, ORIGIN_LINE } from './checks';
import { ident } from './quote';
import type { Params, Statement } from './statement';
import { BATCH_TABLE, STAGE_TABLE, type ColumnTypes } from './tables';

/** File name → partition index and partition-column values ("__p<i>", in spec order). */
export const BATCH_FILES_TABLE = '__backfill_batch_files';

export interface BatchFile {
  name: string;
  part: number;
  /** The partition's values of spec.target.partitionColumns, in order (null where the key has none). */
  values: (number | null)[];
}

const valueColumn = (i: number) => ident(`__p${i}`);
/** Rows per INSERT: bound parameters stay well under what one statement should carry. */
const FILES_PER_INSERT = 500;

/** The file → partition map, as a TEMP table on the staging connection. */
export function createBatchFiles(partitionColumns: number, files: BatchFile[]): Statement[] {
  const values = Array.from({ length: partitionColumns }, (_, i) => `${valueColumn(i)} INTEGER`);
  const statements: Statement[] = [
    {
      sql: `CREATE OR REPLACE TEMP TABLE ${ident(BATCH_FILES_TABLE)} ("__file" VARCHAR, "__part" INTEGER${values.map((v) => `, ${v}`).join('')})`,
    },
  ];
  for (let start = 0; start < files.length; start += FILES_PER_INSERT) {
    const params: Params = {};
    const rows = files.slice(start, start + FILES_PER_INSERT).map((f, r) => {
      params[`f${r}`] = f.name;
      params[`i${r}`] = f.part;
      f.values.forEach((v, j) => (params[`v${r}_${j}`] = v));
      return `($f${r}, CAST($i${r} AS INTEGER)${f.values.map((_, j) => `, CAST($v${r}_${j} AS INTEGER)`).join('')})`;
    });
    statements.push({ sql: `INSERT INTO ${ident(BATCH_FILES_TABLE)} VALUES ${rows.join(', ')}`, params });
  }
  return statements;
}

const stageJoin = `${ident(STAGE_TABLE)} AS s LEFT JOIN ${ident(BATCH_FILES_TABLE)} AS f ON s."__file" = f."__file"`;

/** Per partition index: records read and rejected (a NULL index would be a row of no known file). */
export const stageCountsByPartition: Statement = {
  sql: `SELECT f."__part" AS part, count(*) AS total, count(s."__reason") AS rejected FROM ${stageJoin} GROUP BY f."__part"`,
};

/** The deduped rows of every partition, each with its partition index ("__part"). */
export function createPartitionedBatch(
  spec: BackfillSpec,
  schema: ColumnTypes,
  lineage: { backfillId: string; loadedAt: string },
): Statement {
  const keys = spec.target.keyColumns.map((k) => `s.${ident(k)}`);
  const params: Params = {};
  const select = Object.keys(schema).map((c) => `s.${ident(c)} AS ${ident(c)}`);
  spec.target.partitionColumns.forEach((col, i) => select.push(`f.${valueColumn(i)} AS ${ident(col)}`));
  if (spec.target.lineage) {
    params.backfill_id = lineage.backfillId;
    params.loaded_at = lineage.loadedAt;
    select.push(
      's."__file" AS "_source_file"',
      'CAST($loaded_at AS TIMESTAMP) AS "_loaded_at"',
      '$backfill_id AS "_backfill_id"',
    );
  }
  if (dropsRows(spec.checks))
    select.push(`s."__file" AS ${ident(ORIGIN_FILE)}`, `s."__line" AS ${ident(ORIGIN_LINE)}`);
  select.push('f."__part" AS "__part"');
  const order = [
    ...(spec.target.orderingColumn ? [`s.${ident(spec.target.orderingColumn)} DESC NULLS LAST`] : []),
    's."__file" DESC',
    's."__line" DESC',
  ];
  const dedupe = keys.length
    ? `QUALIFY row_number() OVER (PARTITION BY f."__part", ${keys.join(', ')} ORDER BY ${order.join(', ')}) = 1 ORDER BY f."__part", ${keys.join(', ')}`
    : '';
  return {
    sql:
      `CREATE OR REPLACE TEMP TABLE ${ident(BATCH_TABLE)} AS SELECT ${select.join(', ')} ` +
      `FROM ${ident(STAGE_TABLE)} AS s JOIN ${ident(BATCH_FILES_TABLE)} AS f ON s."__file" = f."__file" ` +
      `WHERE s."__reason" IS NULL ${dedupe}`,
    params,
  };
}

/** Rows in the batch per partition index. */
export const batchCountsByPartition: Statement = {
  sql: `SELECT "__part" AS part, count(*) AS n FROM ${ident(BATCH_TABLE)} GROUP BY "__part"`,
};

/** One partition's views: its deduped rows (target columns) and its staged records (for rejects). */
export const partitionViews = (part: number) => ({
  batch: `${BATCH_TABLE}_${part}`,
  stage: `${STAGE_TABLE}_${part}`,
});

/**
 * The views of partition `part`. The index is an integer this process made (a view cannot take
 * bound parameters), never a value from a file or a user.
 */
export function createPartitionViews(part: number): Statement[] {
  if (!Number.isSafeInteger(part) || part < 0) throw new Error(`bad partition index ${part}`);
  const views = partitionViews(part);
  return [
    {
      sql: `CREATE OR REPLACE TEMP VIEW ${ident(views.batch)} AS SELECT * EXCLUDE ("__part") FROM ${ident(BATCH_TABLE)} WHERE "__part" = ${part}`,
    },
    {
      sql:
        `CREATE OR REPLACE TEMP VIEW ${ident(views.stage)} AS SELECT s.* FROM ${ident(STAGE_TABLE)} AS s ` +
        `JOIN ${ident(BATCH_FILES_TABLE)} AS f ON s."__file" = f."__file" WHERE f."__part" = ${part}`,
    },
  ];
}
