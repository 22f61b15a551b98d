/**
 * The one commit of a sharded partition: every shard's staged Parquet back into one stage table
 * (the merged schema: declared columns, plus new ones typed from every shard's kinds, exactly as an
 * unsharded load would type them), deduped across shards by the batch phase's order, reconciled over
 * all shards (read = accepted + rejected + duplicates, duplicates = within shards + across them),
 * and handed to the destination's own commit: merge or overwrite, rejects and tombstones in one
 * transaction, under the DuckLake commit lock, exactly today's code.
 */
import { dropsRows } from '../../common/spec/checks';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BackfillError } from '../../common/failures';
import { mapLimit } from '../../common/map-limit';
import type { CommitShardsInput, LoadPartitionResult } from '../../common/types';
import { queryRows, run } from '../duckdb';
import type { LoadHooks } from '../hooks';
import { checkAndCommit, succeeded, type LoadDeps } from '../load-partition';
import { effectiveSchema, type DiscoveredColumn } from '../schema-contract';
import * as sql from '../sql';
import { buildBatch } from '../staging/batch';
import { byteOrder } from '../staging/discover';
import { partitionValuesOf } from '../load-partition';
import type { StagingLocation } from './location';
import type { ShardManifest } from './plan';
import { findFinished, type ShardMarker } from './stage-shard';

/** Staged files fetched or markers read at once. */
const FETCH_CONCURRENCY = 8;

/** Every shard's discovered columns as one partition's: names in byte order (as discovery sorts), kinds joined. */
export function mergeDiscovered(markers: ShardMarker[]): DiscoveredColumn[] {
  const kinds = new Map<string, Set<string>>();
  for (const m of markers)
    for (const c of m.discovered) {
      const seen = kinds.get(c.name) ?? new Set<string>();
      c.kinds.forEach((k) => seen.add(k));
      kinds.set(c.name, seen);
    }
  return byteOrder([...kinds.keys()]).map((name) => ({ name, kinds: [...kinds.get(name)!].sort() }));
}

export async function commitShards(
  deps: LoadDeps & { location: StagingLocation },
  input: CommitShardsInput,
  plan: ShardManifest,
  hooks: LoadHooks,
  attempt: { number: number; started: number },
): Promise<LoadPartitionResult> {
  const { spec, partitionKey } = input;
  hooks.progress.stage = 'reading shards';
  const found = await mapLimit(
    plan.starts.map((_, i) => i),
    FETCH_CONCURRENCY,
    (i) => findFinished(deps.location, plan, i),
  );
  const missing = found.map((f, i) => (f ? -1 : i)).filter((i) => i >= 0);
  if (missing.length)
    throw new BackfillError(
      'SourceReadError',
      `partition ${partitionKey}: shard(s) ${missing.slice(0, 10).join(', ')} of plan ${plan.planId} are not staged`,
    );
  const shards = found.map((f) => f!);
  const markers = shards.map((s) => s.marker);
  const { schema } = effectiveSchema(spec, mergeDiscovered(markers));
  const destination = await deps.destinations.open(spec);
  const work = await mkdtemp(path.join(deps.workDir ?? tmpdir(), 'backfill-commit-'));
  const conn = await deps.staging.connect();
  const interrupt = () => conn.interrupt();
  hooks.signal.addEventListener('abort', interrupt);
  try {
    const fetch = (key: string) => deps.location.fetchFile(key, work, hooks.signal);
    const rowFiles = await mapLimit(shards, FETCH_CONCURRENCY, (s) => fetch(`${s.dir}${s.marker.rows}`));
    const withRejects = shards.filter((s) => s.marker.rejects);
    const rejectFiles = await mapLimit(withRejects, FETCH_CONCURRENCY, (s) =>
      fetch(`${s.dir}${s.marker.rejects}`),
    );
    const present = new Set(markers.flatMap((m) => Object.keys(m.schema)));
    const asText = new Set(markers.flatMap((m) => m.asText));
    await run(
      conn,
      sql.stageViewOverShards(schema, present, asText, rowFiles, rejectFiles, dropsRows(spec.checks)),
    );
    const sum = (f: (m: ShardMarker) => number) => markers.reduce((total, m) => total + f(m), 0);
    const rowsRead = sum((m) => m.rowsRead);
    const rowsRejected = sum((m) => m.rowsRejected);
    const withinShards = sum((m) => m.duplicatesRemoved);
    const [staged] = await queryRows<{ total: bigint; rejected: bigint }>(conn, sql.stageCounts);
    const good = Number(staged?.total ?? 0) - Number(staged?.rejected ?? 0);
    if (
      good !== sum((m) => m.rowsStaged) ||
      (rejectFiles.length > 0 && Number(staged?.rejected) !== rowsRejected)
    )
      throw new BackfillError(
        'ReconciliationError',
        `partition ${partitionKey}: the staged shards hold ${good} rows and ${Number(staged?.rejected)} rejects, their markers say ${sum((m) => m.rowsStaged)} and ${rowsRejected}`,
      );
    const loadedAt = new Date(attempt.started).toISOString();
    // Across shards: the rows the shards staged, deduped again (the duplicates the shards removed are counted already).
    const batch = await buildBatch(conn, {
      spec,
      schema,
      counts: { rowsRead: rowsRead - withinShards, rowsRejected },
      partitionKey,
      partitionValues: partitionValuesOf(spec, partitionKey),
      backfillId: input.backfillId,
      loadedAt,
    });
    batch.counts = {
      rowsRead,
      rowsRejected,
      duplicatesRemoved: withinShards + batch.counts.duplicatesRemoved,
    };
    // The spec's checks see the whole partition's deduped batch, as in an unsharded load.
    const { committed, checks } = await checkAndCommit(
      destination,
      batch,
      { backfillId: input.backfillId, partitionKey, spec },
      loadedAt,
      hooks,
    );
    return succeeded(plan.files, batch, input.counts.filesReused, committed, attempt, checks);
  } finally {
    hooks.signal.removeEventListener('abort', interrupt);
    conn.closeSync();
    await rm(work, { recursive: true, force: true });
  }
}
