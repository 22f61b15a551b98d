/** The worker's S3 source, from the environment's defaults (a spec may override endpoint, region, style). */
import type { ActivityMetrics } from '../activities/deps';
import type { Source } from '../loading/sources';
import { createS3Source, s3ClientFactory, type S3Defaults } from '../loading/sources/s3-source';
import type { Config } from '../common/config';

/** BACKFILL_S3_ENDPOINT, _REGION, _FORCE_PATH_STYLE: the source's defaults, and the staging location's. */
export function workerS3Defaults(config: Config): S3Defaults {
  return {
    ...(config.BACKFILL_S3_ENDPOINT ? { endpoint: config.BACKFILL_S3_ENDPOINT } : {}),
    ...(config.BACKFILL_S3_REGION ? { region: config.BACKFILL_S3_REGION } : {}),
    ...(config.BACKFILL_S3_FORCE_PATH_STYLE !== undefined
      ? { forcePathStyle: config.BACKFILL_S3_FORCE_PATH_STYLE }
      : {}),
  };
}

export function createWorkerS3Source(config: Config, metrics?: ActivityMetrics): Source {
  return createS3Source({
    clientFor: s3ClientFactory(workerS3Defaults(config)),
    ...(metrics ? { onError: (code: string) => metrics.s3Error(code) } : {}),
  });
}
