/**
 * A sharded partition's progress in its child workflow, pure and deterministic (unit-tested): the
 * plan, the shards done, their summed counts, how many were reused and which worker staged each;
 * carried through the child's continue-as-new as a compact CarriedShards (done shards as ranges).
 */
import { decodeRanges, encodeRanges } from '../common/shards';
import type { CarriedShards, ShardCounts, ShardPlan, ShardStats, StageShardResult } from '../common/types';

const noCounts = (): ShardCounts => ({
  filesReused: 0,
  rowsRead: 0,
  rowsRejected: 0,
  duplicatesRemoved: 0,
  rowsStaged: 0,
});

export class ShardProgress {
  readonly done: Set<number>;
  readonly counts: ShardCounts;
  reused: number;
  readonly workers: Record<string, number>;

  private constructor(
    readonly plan: ShardPlan,
    carried: Omit<CarriedShards, 'plan'> | undefined,
    readonly startedAt: number,
  ) {
    this.done = decodeRanges(carried?.done ?? '');
    this.counts = { ...noCounts(), ...carried?.counts };
    this.reused = carried?.reused ?? 0;
    this.workers = { ...carried?.workers };
  }

  static start(plan: ShardPlan, startedAt: number): ShardProgress {
    return new ShardProgress(plan, undefined, startedAt);
  }

  static resume(carried: CarriedShards): ShardProgress {
    return new ShardProgress(carried.plan, carried, carried.startedAt);
  }

  /** A shard finished (staged or reused); a shard reported twice counts once. */
  record(result: StageShardResult): void {
    if (this.done.has(result.shard)) return;
    this.done.add(result.shard);
    this.counts.rowsRead += result.rowsRead;
    this.counts.rowsRejected += result.rowsRejected;
    this.counts.duplicatesRemoved += result.duplicatesRemoved;
    this.counts.rowsStaged += result.rowsStaged;
    if (result.reused) {
      this.reused++;
      this.counts.filesReused += result.files;
    }
    this.workers[result.worker] = (this.workers[result.worker] ?? 0) + 1;
  }

  get finished(): boolean {
    return this.done.size >= this.plan.shards;
  }

  stats(): ShardStats {
    return {
      total: this.plan.shards,
      done: this.done.size,
      reused: this.reused,
      workers: { ...this.workers },
    };
  }

  encode(): CarriedShards {
    return {
      plan: this.plan,
      done: encodeRanges(this.done),
      counts: { ...this.counts },
      reused: this.reused,
      workers: { ...this.workers },
      startedAt: this.startedAt,
    };
  }

  /** The child's Temporal UI details: shards done / total, reused, and per worker. */
  details(partitionKey: string, stage: string): string {
    const workers = Object.entries(this.workers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return [
      `## Partition ${partitionKey} — ${stage}`,
      '',
      `**${this.done.size} / ${this.plan.shards}** shards done · ${this.reused} reused · ${this.plan.files} files · ${this.plan.bytes} bytes`,
      '',
      '| worker | shards |',
      '|---|---|',
      ...workers.map(([w, n]) => `| ${w.replaceAll('|', '\\|')} | ${n} |`),
    ].join('\n');
  }
}
