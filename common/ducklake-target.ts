/**
 * The DuckLake target's own fields: Parquet files under `dataPath` (object storage or a local
 * directory), the catalog in PostgreSQL (many workers on many hosts commit to it at once) or in a
 * local DuckDB file (one host). The write options (table, keys, modes, ordering, deletes, lineage,
 * partition columns) are every target's, TargetWriteOptions in spec/schema.ts. No secret belongs here: the
 * PostgreSQL password comes from the worker's PGPASSWORD or PGPASSFILE, the S3 keys from its
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN), and they never enter history.
 */
import { z } from 'zod';

/** A libpq URI with user:password@, or a `password=` keyword: the password belongs in the worker's env. */
const CARRIES_PASSWORD = /(^|\s)password\s*=|^postgres(ql)?:\/\/[^/@]*:[^/@]*@/i;

export const POSTGRES_CATALOG_PREFIX = 'postgres:';

export const DUCKLAKE_TARGET_FIELDS = {
  type: z.literal('ducklake').describe('Target kind: a DuckLake.'),
  catalog: z
    .string()
    .min(1)
    .refine((s) => !s.includes('\0'), 'must not contain NUL')
    .refine(
      (s) => !CARRIES_PASSWORD.test(s.startsWith(POSTGRES_CATALOG_PREFIX) ? s.slice(9).trim() : s),
      'must not carry a password; the worker takes it from PGPASSWORD or PGPASSFILE',
    )
    .describe(
      'postgres:<libpq keywords or URI> (e.g. "postgres:dbname=lake host=pg user=lake"; the password comes from the worker\'s PGPASSWORD or PGPASSFILE), or a local DuckDB catalog file (one host).',
    ),
  dataPath: z
    .string()
    .min(1)
    .refine((s) => !s.includes('\0'), 'must not contain NUL')
    .refine((s) => !/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(s), 'must not carry credentials')
    .describe(
      "Where the lake's Parquet files go: s3://bucket/prefix/ (keys from the worker's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) or a local directory.",
    ),
  endpoint: z
    .string()
    .url()
    .optional()
    .describe('S3 endpoint of dataPath (MinIO); default source.endpoint, else AWS_ENDPOINT_URL or AWS.'),
  region: z.string().optional().describe('S3 region of dataPath; default source.region, else AWS_REGION.'),
  commitLock: z
    .enum(['catalog', 'none'])
    .default('catalog')
    .describe(
      "How workers' commits to the table take turns. catalog: with a PostgreSQL catalog, an advisory lock in it, so a writer waits for its turn instead of conflicting and re-running its whole transaction; none: optimistic only. Either way a conflict (a writer without the lock) is rolled back and re-run.",
    ),
} as const;

export const isPostgresCatalog = (catalog: string) => catalog.startsWith(POSTGRES_CATALOG_PREFIX);
