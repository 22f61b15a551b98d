/** The worker's S3 source, from the environment's defaults (the spec may override per backfill). */
import type { Source } from '../activities/sources';
import type { Config } from '../common/config';

export function createWorkerS3Source(_config: Config): Source | undefined {
  return undefined;
}
