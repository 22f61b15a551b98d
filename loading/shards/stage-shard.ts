/**
 * One shard of a sharded partition, on any worker: its files staged exactly as a partition's are
 * (stage-typed.ts: the read modes, typing, quarantine with file, line, raw text and reason), its
 * good rows deduped within the shard (latest wins, the order of batch.ts), and both written as
 * Parquet to the staging location, then the marker. A shard whose marker is there (this attempt's,
 * or an earlier attempt's with the same fingerprint, see plan.ts) is reused, never read again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BackfillError } from '../../common/failures';
import type { StageShardInput, StageShardResult } from '../../common/types';
import { queryRows, run } from '../duckdb';
import type { LoadHooks } from '../hooks';
import type { LoadDeps } from '../load-partition';
import { reconcileBatch } from '../reconcile';
import type { DiscoveredColumn } from '../schema-contract';
import * as sql from '../sql';
import { stageTyped } from '../staging/stage-typed';
import { attemptPrefix, doneKey, shardPrefix } from './layout';
import type { StagingLocation } from './location';
import { shardFiles, type ShardManifest } from './plan';

/** What a finished shard's marker records: its counts, and enough for the commit to read and check it. */
export interface ShardMarker extends Omit<StageShardResult, 'reused'> {
  fingerprint: string;
  /** The columns of rows.parquet (declared, plus new ones staged as text). */
  schema: sql.ColumnTypes;
  /** New columns (schema contract evolve), staged as their JSON text. */
  asText: string[];
  discovered: DiscoveredColumn[];
  /** File names in the shard's folder. */
  rows: string;
  rejects?: string;
}

export interface ShardDeps extends LoadDeps {
  location: StagingLocation;
  worker: string;
}

/** The marker of a finished shard (this attempt's first, then the earlier attempt's it may reuse), or undefined. */
export async function findFinished(
  location: StagingLocation,
  plan: ShardManifest,
  shard: number,
): Promise<{ marker: ShardMarker; dir: string } | undefined> {
  const fp = plan.fingerprints[shard]!;
  const own = shardPrefix(attemptPrefix(plan.backfillId, plan.partitionKey, plan.planId), shard);
  for (const dir of [own, plan.reuse[shard]]) {
    if (!dir) continue;
    const text = await location.getText(doneKey(dir, fp));
    if (text !== undefined) return { marker: JSON.parse(text) as ShardMarker, dir };
  }
  return undefined;
}

export async function stageShard(
  deps: ShardDeps,
  input: StageShardInput,
  plan: ShardManifest,
  hooks: LoadHooks,
  attempt: number,
): Promise<StageShardResult> {
  const { spec, shard } = input;
  const files = shardFiles(plan, shard);
  if (files.length === 0)
    throw new BackfillError('ConfigurationError', `shard ${shard} is not in the plan ${plan.planId}`);
  const log = hooks.log;
  const finished = await findFinished(deps.location, plan, shard);
  if (finished) {
    const { marker } = finished;
    log.info(
      {
        partition: input.partitionKey,
        shard,
        files: marker.files,
        rows: marker.rowsRead,
        worker: deps.worker,
        from: finished.dir,
      },
      'shard reused',
    );
    return result(marker, true, deps.worker);
  }
  const dir = shardPrefix(attemptPrefix(plan.backfillId, plan.partitionKey, plan.planId), shard);
  // A retried shard replaces only its own files.
  await deps.location.remove(dir);
  const work = await mkdtemp(path.join(deps.workDir ?? tmpdir(), 'backfill-shard-'));
  const conn = await deps.staging.connect();
  const interrupt = () => conn.interrupt();
  hooks.signal.addEventListener('abort', interrupt);
  try {
    // No local resume: the shard itself is the unit a crash re-reads.
    const staged = await stageTyped(deps, conn, spec, files, Number.POSITIVE_INFINITY, hooks, {
      newColumnsAsText: true,
    });
    const asText = Object.keys(staged.schema).filter((c) => !(c in spec.schema));
    const rowsName = `rows-${attempt}.parquet`;
    hooks.progress.stage = 'writing the shard';
    let rowsStaged = 0;
    await deps.location.putWritten(`${dir}${rowsName}`, work, async (file) => {
      const [copied] = await queryRows<{ Count: bigint }>(conn, sql.copyShardRows(spec, staged.schema, file));
      rowsStaged = Number(copied?.Count ?? 0);
    });
    const duplicatesRemoved = reconcileBatch(`${input.partitionKey} shard ${shard}`, {
      ...staged.counts,
      rowsAccepted: rowsStaged,
      keyed: spec.target.keyColumns.length > 0,
    });
    let rejects: string | undefined;
    // Only a permissive load keeps its rejects; the others count them.
    if (spec.readMode === 'permissive' && staged.counts.rowsRejected > 0) {
      rejects = `rejects-${attempt}.parquet`;
      await deps.location.putWritten(`${dir}${rejects}`, work, (file) =>
        run(conn, sql.copyShardRejects(file)),
      );
    }
    const marker: ShardMarker = {
      shard,
      fingerprint: plan.fingerprints[shard]!,
      files: files.length,
      bytes: files.reduce((sum, f) => sum + f.size, 0),
      ...staged.counts,
      duplicatesRemoved,
      rowsStaged,
      schema: staged.schema,
      asText,
      discovered: staged.discovered,
      rows: rowsName,
      ...(rejects ? { rejects } : {}),
      worker: deps.worker,
    };
    hooks.signal.throwIfAborted();
    // Written last: from here on the shard is finished.
    await deps.location.putText(doneKey(dir, marker.fingerprint), JSON.stringify(marker));
    log.info(
      {
        partition: input.partitionKey,
        shard,
        files: files.length,
        rows: marker.rowsRead,
        worker: deps.worker,
      },
      'shard staged',
    );
    return result(marker, false, deps.worker);
  } finally {
    hooks.signal.removeEventListener('abort', interrupt);
    conn.closeSync();
    await rm(work, { recursive: true, force: true });
  }
}

const result = (m: ShardMarker, reused: boolean, worker: string): StageShardResult => ({
  shard: m.shard,
  files: m.files,
  bytes: m.bytes,
  rowsRead: m.rowsRead,
  rowsRejected: m.rowsRejected,
  duplicatesRemoved: m.duplicatesRemoved,
  rowsStaged: m.rowsStaged,
  reused,
  worker,
});
