/**
 * Where a sharded partition's files are at the staging location:
 *   <staging.uri>/<backfillId>/<partitionKey>/<planId>/plan.json            the plan (files, shards)
 *   <staging.uri>/<backfillId>/<partitionKey>/<planId>/shard-00042/rows-<a>.parquet, rejects-<a>.parquet
 *   <staging.uri>/<backfillId>/<partitionKey>/<planId>/shard-00042/done-<fingerprint>.json   the marker
 * planId is the partition child's first run id (one attempt of the partition); <a> the shard
 * activity's attempt, so a zombie attempt never overwrites the files another attempt's marker names.
 * The marker is written last: a shard is finished exactly when it exists, and its name carries the
 * fingerprint of the shard's files, so a later attempt finds a reusable shard from a listing alone.
 * Backfill ids and partition keys are restricted names (common/ids.ts, partitions.ts): safe in keys.
 */
import { shardDirName } from '../../common/shards';

export const partitionPrefix = (backfillId: string, partitionKey: string) => `${backfillId}/${partitionKey}/`;

export const attemptPrefix = (backfillId: string, partitionKey: string, planId: string) =>
  `${partitionPrefix(backfillId, partitionKey)}${planId}/`;

export const planKey = (attempt: string) => `${attempt}plan.json`;

export const shardPrefix = (attempt: string, shard: number) => `${attempt}${shardDirName(shard)}/`;

export const doneKey = (shardDir: string, fingerprint: string) => `${shardDir}done-${fingerprint}.json`;

const DONE = /^(.*\/shard-\d{5}\/)done-([0-9a-f]+)\.json$/;

/** A marker key → its shard folder and fingerprint (undefined for any other key). */
export function parseDoneKey(key: string): { shardDir: string; fingerprint: string } | undefined {
  const m = DONE.exec(key);
  return m ? { shardDir: m[1]!, fingerprint: m[2]! } : undefined;
}
