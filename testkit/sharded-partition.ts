/**
 * One big partition for the sharded-load suites and benchmark: a month of transactions in many
 * files where every key's versions lie far apart in file-name order, so that cut into shards of a
 * few consecutive files they land in different shards — duplicates (the same record twice) and
 * newer versions both later and earlier than the older one. The oracle is the generator's.
 */
import path from 'node:path';
import { generateTransactions, type Dataset } from './dataset';

/** The one month the partition covers. */
export const SHARDED_MONTH = '2020-03';

export interface ShardedPartitionOptions {
  /** Where `raw/year=2020/month=03/part-nnn.ndjson` goes. */
  dir: string;
  files: number;
  rowsPerFile: number;
  seed?: number;
  /** Share of rows delivered twice (default 0.08) and updated within the month (default 0.08). */
  duplicateRate?: number;
  updateRate?: number;
}

export interface ShardedPartition {
  raw: string;
  data: Dataset;
  /** Files a copy lands from its original: more than any shard's files, so never in the same shard. */
  duplicateOffset: number;
}

/** Writes the files; the oracle is in `data.oracle`. */
export function generateShardedPartition(options: ShardedPartitionOptions): ShardedPartition {
  const raw = path.join(options.dir, 'raw');
  // A third of the files away (the newer versions are half of them away), at least 5.
  const duplicateOffset = Math.max(5, Math.floor(options.files / 3) + 1);
  const data = generateTransactions({
    dir: raw,
    from: SHARDED_MONTH,
    to: SHARDED_MONTH,
    rowsPerPartition: options.files * options.rowsPerFile,
    filesPerPartition: options.files,
    duplicateRate: options.duplicateRate ?? 0.08,
    duplicateFileOffset: duplicateOffset,
    inMonthUpdateRate: options.updateRate ?? 0.08,
    seed: options.seed ?? 19,
  });
  return { raw, data, duplicateOffset };
}
