/**
 * What the multi-worker lake suites (the e2e scale-out and the fault suite) load: four years of
 * monthly transactions — 48 partitions of 150 rows in 2 files — with late updates and flagged
 * deletes, uploaded to `s3://<bucket>/raw/` on the lake's MinIO, and the spec that reads it into a
 * lake six partitions at a time (three workers, two slots each).
 */
import path from 'node:path';
import type { BackfillSpecInput } from '../common/spec';
import { generateTransactions, type Dataset } from './dataset';
import { tempDir } from './fixtures';
import type { LakeLocation, LakeServers } from './lake-servers';
import { transactionsSpecInput, type TransactionsSpecOptions } from './specs';

const RANGE = { from: '2016-01', to: '2019-12' };

/** Generates the data (the seed picks it) and uploads it; `raw` is the local copy. */
export async function uploadLakeTransactions(
  servers: LakeServers,
  seed: number,
): Promise<{ raw: string; data: Dataset }> {
  const raw = path.join(tempDir('lake-data-'), 'raw');
  const data = generateTransactions({
    dir: raw,
    ...RANGE,
    rowsPerPartition: 150,
    filesPerPartition: 2,
    lateUpdateRate: 0.15,
    lateDeleteRate: 0.3,
    seed,
  });
  await servers.minio.uploadDir(servers.bucket, 'raw/', raw);
  return { raw, data };
}

/** The spec over the uploaded data into `lake`, deletes applied; retries and timeouts are the suite's. */
export function lakeTransactionsSpecInput(
  servers: LakeServers,
  lake: LakeLocation,
  name: string,
  targetOptions?: TransactionsSpecOptions['targetOptions'],
): BackfillSpecInput {
  return {
    ...transactionsSpecInput({
      name,
      source: { uri: `s3://${servers.bucket}/raw`, endpoint: servers.minio.endpoint, forcePathStyle: true },
      target: lake,
      ...RANGE,
      deletes: true,
      ...(targetOptions ? { targetOptions } : {}),
    }),
    maxConcurrency: 6,
  };
}
