/**
 * One big partition for the sharded-load suites and benchmark: a month of transactions in many
 * files where every key's versions lie far apart in file-name order, so that cut into shards of a
 * few consecutive files they land in different shards — duplicates (the same record twice) and
 * newer versions both later and earlier than the older one. The oracle is the generator's.
 */
import path from 'node:path';
import type { BackfillSpecInput } from '../common/spec';
import { generateTransactions, type Dataset } from './dataset';
import { transactionsSpecInput, type TransactionsSpecOptions } from './specs';

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

type ShardsInput = NonNullable<Exclude<BackfillSpecInput['source'], string>['shards']>;

export interface ShardedSpecOptions extends Pick<TransactionsSpecOptions, 'name' | 'source' | 'target'> {
  staging: NonNullable<BackfillSpecInput['staging']>;
  /** Over the suites' default: shards of 4 files, every partition sharded (minPartitionBytes 0). */
  shards?: Partial<ShardsInput>;
}

/** The transactions spec over the one month, sharded, staging where `staging` says. */
export function shardedSpecInput(options: ShardedSpecOptions): BackfillSpecInput {
  const base = transactionsSpecInput({ ...options, from: SHARDED_MONTH, to: SHARDED_MONTH });
  return {
    ...base,
    source: { ...base.source, shards: { maxFiles: 4, minPartitionBytes: 0, ...options.shards } },
    staging: options.staging,
  };
}

/** A worker's "shard staged" (it read the shard's files) or "shard reused" (it found it done) line. */
export interface ShardLogLine {
  msg: 'shard staged' | 'shard reused';
  partition: string;
  shard: number;
  files?: number;
  rows?: number;
  worker: string;
  /** When it was logged (pino's epoch milliseconds). */
  time: number;
}

/** The shard lines among a worker's log lines (pino JSON; other lines skipped). */
export function shardLogLines(logs: string[]): ShardLogLine[] {
  return logs.flatMap((line) => {
    if (!line.includes('"shard ')) return [];
    try {
      const parsed = JSON.parse(line) as ShardLogLine;
      return parsed.msg === 'shard staged' || parsed.msg === 'shard reused' ? [parsed] : [];
    } catch {
      return [];
    }
  });
}
