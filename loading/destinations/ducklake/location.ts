/**
 * Where a DuckLake target lives and how this worker reaches it: the catalog (PostgreSQL or a local
 * DuckDB file), the data path, and the credentials, taken from the worker's environment — never
 * from the spec, so they never enter workflow history:
 *  - PostgreSQL: PGPASSWORD (handed to DuckDB as a secret); without it libpq reads PGPASSFILE or
 *    ~/.pgpass itself.
 *  - S3: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); the endpoint is the
 *    target's, else the source's (the usual case: one MinIO or one AWS account), else
 *    AWS_ENDPOINT_URL / BACKFILL_S3_ENDPOINT; the region likewise, else AWS_REGION, else us-east-1.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { BackfillSpec } from '../../../common/spec';
import { isPostgresCatalog } from '../../../common/ducklake-target';
import type { S3SecretValues } from './sql';

export type LakeTarget = Extract<BackfillSpec['target'], { type: 'ducklake' }>;

export interface LakeLocation {
  /** What follows `ducklake:` in ATTACH: `postgres:<keywords>` or a resolved file path. */
  catalogPath: string;
  postgres: boolean;
  /** The data path as the catalog records it (local directories resolved, with a trailing slash). */
  dataPath: string;
  s3: boolean;
  /** The catalog alias in the staging instance: stable per lake, free of the path's characters. */
  alias: string;
}

export function lakeTarget(spec: BackfillSpec): LakeTarget {
  if (spec.target.type !== 'ducklake') throw new Error(`target type ${spec.target.type} is not ducklake`);
  return spec.target;
}

export function lakeLocation(target: LakeTarget): LakeLocation {
  const postgres = isPostgresCatalog(target.catalog);
  const s3 = /^s3:\/\//i.test(target.dataPath);
  const dataPath = s3 ? target.dataPath : path.resolve(target.dataPath);
  const catalogPath = postgres ? target.catalog : path.resolve(target.catalog);
  const withSlash = dataPath.endsWith('/') ? dataPath : `${dataPath}/`;
  const identity = `${catalogPath}\n${withSlash}`;
  return {
    catalogPath,
    postgres,
    dataPath: withSlash,
    s3,
    alias: `lake_${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`,
  };
}

/** The identity destinations are cached by: one attachment per lake per process. */
export const lakeIdentity = (target: LakeTarget) => {
  const location = lakeLocation(target);
  return `ducklake:${location.catalogPath}|${location.dataPath}`;
};

/** The S3 secret's values for the data path (credentials from the environment). */
export function s3SecretValues(
  spec: BackfillSpec,
  location: LakeLocation,
  env: NodeJS.ProcessEnv,
): S3SecretValues {
  const target = lakeTarget(spec);
  const endpoint =
    target.endpoint ?? spec.source.endpoint ?? env.AWS_ENDPOINT_URL ?? env.BACKFILL_S3_ENDPOINT;
  const url = endpoint ? new URL(endpoint) : undefined;
  return {
    keyId: env.AWS_ACCESS_KEY_ID,
    secret: env.AWS_SECRET_ACCESS_KEY,
    sessionToken: env.AWS_SESSION_TOKEN,
    endpoint: url?.host,
    region: target.region ?? spec.source.region ?? env.AWS_REGION ?? env.BACKFILL_S3_REGION ?? 'us-east-1',
    useSsl: url ? url.protocol === 'https:' : true,
    // A custom endpoint (MinIO, other S3-compatible stores) is addressed by path.
    urlStyle: url ? 'path' : 'vhost',
    scope: location.dataPath,
  };
}
