/**
 * A sharded partition's plan, decided once per attempt (the planShards activity; its result is in
 * history, so a retry of anything after it sees the same shards and files): the partition's files
 * in path order, cut into shards (common/shards.ts), each shard's fingerprint (its files' path,
 * size and ETag or mtime, and the spec fields that shape what a shard stages), and, for each shard
 * an earlier attempt of the partition already finished with the same fingerprint, where that
 * finished shard is (it is reused, not read again). The plan goes to the staging location as one
 * manifest; history holds only its id and sizes, so 10,000 shards never enter a payload.
 */
import { assertChecksValid } from '../checks/validate';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { BackfillError } from '../../common/failures';
import { shardCount, splitShards } from '../../common/shards';
import type { BackfillSpec } from '../../common/spec';
import type { PlanShardsInput, PlanShardsResult } from '../../common/types';
import type { Source, SourceFile } from '../sources';
import { partitionPrefix as sourcePrefix } from '../sources';
import { attemptPrefix, parseDoneKey, partitionPrefix, planKey } from './layout';
import type { StagingLocation } from './location';

/** A file of the plan: what the source listed, with the version (ETag, or mtime on disk) fixed. */
export interface PlannedFile extends SourceFile {
  version: string;
}

export interface ShardManifest {
  version: 1;
  backfillId: string;
  partitionKey: string;
  planId: string;
  files: PlannedFile[];
  /** Shard i holds files [starts[i], starts[i + 1]). */
  starts: number[];
  fingerprints: string[];
  /** Shard index → the folder of an earlier attempt's finished shard with the same fingerprint. */
  reuse: Record<number, string>;
}

export const shardFiles = (plan: ShardManifest, shard: number): PlannedFile[] =>
  plan.files.slice(plan.starts[shard], plan.starts[shard + 1] ?? plan.files.length);

const byPath = (a: SourceFile, b: SourceFile) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export async function planShards(
  deps: { source: Source; location: StagingLocation },
  input: PlanShardsInput,
): Promise<PlanShardsResult> {
  const { spec, partitionKey, backfillId, planId } = input;
  // Specs reach workflows without the CLI too: checks DuckDB cannot run fail the plan, not the commit.
  await assertChecksValid(spec);
  const listed = [...(await deps.source.list(spec, partitionKey))].sort(byPath);
  const bytes = listed.reduce((sum, f) => sum + f.size, 0);
  if (listed.length === 0 && spec.source.requireFiles)
    throw new BackfillError(
      'NoFilesError',
      `no files for partition ${partitionKey} under ${spec.source.uri}/${sourcePrefix(spec, partitionKey)} (source.requireFiles is set)`,
    );
  const options = spec.source.shards;
  if (
    shardCount(
      listed.map((f) => f.size),
      options,
    ) === 0
  )
    return { unsharded: true, files: listed.length, bytes };
  const files = await Promise.all(listed.map(withVersion));
  const starts = splitShards(
    files.map((f) => f.size),
    options!,
  );
  const manifest: ShardManifest = {
    version: 1,
    backfillId,
    partitionKey,
    planId,
    files,
    starts,
    fingerprints: [],
    reuse: {},
  };
  manifest.fingerprints = starts.map((_, i) => shardFingerprint(spec, shardFiles(manifest, i)));
  const finished = await finishedShards(deps.location, backfillId, partitionKey, planId);
  manifest.fingerprints.forEach((fp, i) => {
    const dir = finished.get(fp);
    if (dir) manifest.reuse[i] = dir;
  });
  await deps.location.putText(
    planKey(attemptPrefix(backfillId, partitionKey, planId)),
    JSON.stringify(manifest),
  );
  return { planId, shards: starts.length, files: files.length, bytes };
}

/** A local file's version is its mtime (and size); an S3 object's its ETag. */
async function withVersion(file: SourceFile): Promise<PlannedFile> {
  if (file.etag) return { ...file, version: file.etag };
  if (file.uri.startsWith('s3://')) return { ...file, version: '' };
  const info = await stat(file.uri);
  return { ...file, version: String(info.mtimeMs) };
}

/** The spec fields that decide what a shard stages: a retry under another spec reads its files again. */
function stagingFields(spec: BackfillSpec) {
  const { shards: _shards, ...source } = spec.source;
  return {
    source,
    schema: spec.schema,
    readMode: spec.readMode,
    timestampOffsets: spec.timestampOffsets,
    schemaContract: spec.schemaContract,
    keyColumns: spec.target.keyColumns,
    orderingColumn: spec.target.orderingColumn,
    partitionColumns: spec.target.partitionColumns,
    lineage: spec.target.lineage,
  };
}

/** What a shard's staged output depends on: its files (path, size, version) and the staging fields of the spec. */
export function shardFingerprint(spec: BackfillSpec, files: PlannedFile[]): string {
  const body = JSON.stringify([stagingFields(spec), files.map((f) => [f.name, f.size, f.version])]);
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

/** Finished shards of the partition's other attempts, by fingerprint (one listing, no reads). */
async function finishedShards(
  location: StagingLocation,
  backfillId: string,
  partitionKey: string,
  planId: string,
): Promise<Map<string, string>> {
  const own = attemptPrefix(backfillId, partitionKey, planId);
  const found = new Map<string, string>();
  for (const key of await location.list(partitionPrefix(backfillId, partitionKey))) {
    if (key.startsWith(own)) continue;
    const done = parseDoneKey(key);
    if (done && !found.has(done.fingerprint)) found.set(done.fingerprint, done.shardDir);
  }
  return found;
}

/** The plan of an attempt, read once per worker and kept (stageShard runs many shards of one plan). */
export function planReader(location: (spec: BackfillSpec) => StagingLocation) {
  const cache = new Map<string, Promise<ShardManifest>>();
  return (
    spec: BackfillSpec,
    backfillId: string,
    partitionKey: string,
    planId: string,
  ): Promise<ShardManifest> => {
    const key = `${spec.staging?.uri}|${backfillId}|${partitionKey}|${planId}`;
    let plan = cache.get(key);
    if (!plan) {
      const where = planKey(attemptPrefix(backfillId, partitionKey, planId));
      plan = location(spec)
        .getText(where)
        .then((text) => {
          if (text === undefined)
            throw new BackfillError(
              'SourceReadError',
              `the shard plan ${location(spec).describe(where)} is missing`,
            );
          return JSON.parse(text) as ShardManifest;
        });
      plan.catch(() => cache.delete(key));
      cache.set(key, plan);
      while (cache.size > 8) cache.delete(cache.keys().next().value!);
    }
    return plan;
  };
}
