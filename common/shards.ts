/**
 * A sharded partition's deterministic bookkeeping (spec source.shards), pure so the workflow, the
 * planShards activity and `backfill plan` share it: how a sorted file list is cut into shards, when
 * a partition is worth sharding, and the done set carried through continue-as-new as ranges.
 */
import type { BackfillSpec } from './spec';

export type ShardOptions = NonNullable<BackfillSpec['source']['shards']>;

/**
 * Greedy cut of files (already in their plan order, by path) into shards: a shard closes when it
 * holds maxFiles files, or when the next file would take it past maxBytes (a file larger than
 * maxBytes is a shard of its own). Returns each shard's first file index; shard i is
 * [starts[i], starts[i + 1]).
 */
export function splitShards(
  sizes: readonly number[],
  options: Pick<ShardOptions, 'maxFiles' | 'maxBytes'>,
): number[] {
  const starts: number[] = [];
  let files = 0;
  let bytes = 0;
  sizes.forEach((size, i) => {
    if (i === 0 || files >= options.maxFiles || (files > 0 && bytes + size > options.maxBytes)) {
      starts.push(i);
      files = 0;
      bytes = 0;
    }
    files++;
    bytes += size;
  });
  return starts;
}

/** How many shards a partition of these file sizes makes, or 0 when it loads unsharded. */
export function shardCount(sizes: readonly number[], options: ShardOptions | undefined): number {
  if (!options || sizes.length < 2) return 0;
  const bytes = sizes.reduce((sum, s) => sum + s, 0);
  if (bytes < options.minPartitionBytes) return 0;
  const shards = splitShards(sizes, options).length;
  return shards >= 2 ? shards : 0;
}

/** A set of shard indexes as ascending ranges, "0-4,7,9-12": 10,000 done shards in a short string. */
export function encodeRanges(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function decodeRanges(text: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.add(i);
  }
  return out;
}

/**
 * The shard window of one child run: the shards not yet done, started lowest index first with at
 * most `concurrency` pending (deterministic: the same completions give the same starts on replay).
 */
export class ShardWindow {
  private readonly todo: number[];
  private cursor = 0;
  readonly pending = new Set<number>();

  constructor(
    total: number,
    done: ReadonlySet<number>,
    private readonly concurrency: number,
  ) {
    this.todo = [];
    for (let i = 0; i < total; i++) if (!done.has(i)) this.todo.push(i);
  }

  /** The shards to start now (none while the window is full). */
  take(limit = Number.POSITIVE_INFINITY): number[] {
    const out: number[] = [];
    while (this.cursor < this.todo.length && this.pending.size < this.concurrency && out.length < limit) {
      const shard = this.todo[this.cursor++]!;
      this.pending.add(shard);
      out.push(shard);
    }
    return out;
  }

  finish(shard: number): void {
    this.pending.delete(shard);
  }

  /** Shards not yet started. */
  get waiting(): number {
    return this.todo.length - this.cursor;
  }
}

/** A shard's folder name under its attempt: shard-00042. */
export const shardDirName = (shard: number) => `shard-${String(shard).padStart(5, '0')}`;
