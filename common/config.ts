/**
 * Runtime configuration from environment variables, validated once at the edge and frozen.
 * The README's configuration table lists exactly these names.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE, TASK_QUEUE_PATTERN } from './ids';

export const ENV_VARS = {
  BACKFILL_CONFIG: 'Optional YAML or JSON file with any of these names as keys; the environment wins',
  TEMPORAL_ADDRESS: 'Temporal frontend host:port',
  TEMPORAL_NAMESPACE: 'Temporal namespace',
  TEMPORAL_TLS_CERT: 'Client certificate file for mTLS',
  TEMPORAL_TLS_KEY: 'Client private key file for mTLS',
  TEMPORAL_TLS_CA: 'CA certificate file for the server (TLS)',
  TEMPORAL_TLS_SERVER_NAME: 'Server name to verify (TLS SNI)',
  TEMPORAL_API_KEY: 'API key (Temporal Cloud); implies TLS',
  BACKFILL_TASK_QUEUE: 'Task queue of the workers',
  BACKFILL_COMMIT_TASK_QUEUE:
    'Also take the commits and maintenance a spec sends to this queue (target.commitTaskQueue): set on the one worker that holds the DuckDB file',
  BACKFILL_UI_URL: 'Temporal Web UI base URL for links the CLI prints',
  BACKFILL_DUCKDB_MEMORY_LIMIT: 'DuckDB memory_limit per worker process',
  BACKFILL_DUCKDB_THREADS: 'DuckDB threads per worker process',
  BACKFILL_DUCKDB_TEMP_DIR: 'DuckDB temp_directory for spilling',
  BACKFILL_MAX_CONCURRENT_ACTIVITIES: 'Partition loads one worker runs at once',
  BACKFILL_MAX_CONCURRENT_WORKFLOW_TASKS: 'Workflow tasks one worker runs at once',
  BACKFILL_S3_ENDPOINT: 'S3 endpoint URL (MinIO, other S3-compatible stores); a spec may override it',
  BACKFILL_S3_REGION: 'S3 region (default AWS_REGION, else us-east-1)',
  BACKFILL_S3_FORCE_PATH_STYLE: 'true for path-style S3 addressing (MinIO)',
  BACKFILL_STAGING_DIR: 'Where staged files wait for a retry after a crash (file-level resume)',
  BACKFILL_RESUME_MIN_BYTES:
    'Partitions of at least this many source bytes keep staged files for file-level resume; smaller ones are re-read whole after a crash',
  BACKFILL_DOWNLOAD_CONCURRENCY: 'Files of one partition downloaded (or gunzipped) at once, ahead of staging',
  BACKFILL_READ_PATH:
    'auto = clean files take the optimistic read (DuckDB typed reader), others line by line; line = every file line by line',
  BACKFILL_WORKER_IDENTITY:
    'Temporal worker identity, named in shard stats and logs (default pid@hostname, as Temporal does)',
  BACKFILL_METRICS_HOST: 'Bind address of the worker /metrics and /healthz server',
  BACKFILL_METRICS_PORT: 'Port of that server (0 disables it)',
  BACKFILL_SHUTDOWN_GRACE: 'How long running loads may finish after SIGTERM',
  BACKFILL_CONNECT_TIMEOUT: 'How long a starting worker waits for the Temporal server before it gives up',
  BACKFILL_LAKE_CONNECT_TIMEOUT:
    'How long a DuckLake commit waits for an unreachable catalog (a restart) before the partition fails as a configuration error',
  LOG_LEVEL: 'pino log level',
} as const;

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const ConfigSchema = z.object({
  BACKFILL_CONFIG: optionalText,
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TLS_CERT: optionalText,
  TEMPORAL_TLS_KEY: optionalText,
  TEMPORAL_TLS_CA: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  TEMPORAL_API_KEY: optionalText,
  BACKFILL_TASK_QUEUE: z.string().default(DEFAULT_TASK_QUEUE),
  BACKFILL_COMMIT_TASK_QUEUE: optionalText.refine(
    (v) => v === undefined || TASK_QUEUE_PATTERN.test(v),
    'letters, digits, ".", "_" or "-", starting with a letter or digit',
  ),
  BACKFILL_UI_URL: optionalText,
  BACKFILL_DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size such as 512MB or 2GB')
    .default('2GB'),
  BACKFILL_DUCKDB_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  BACKFILL_DUCKDB_TEMP_DIR: optionalText,
  BACKFILL_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(4),
  BACKFILL_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).default(40),
  BACKFILL_S3_ENDPOINT: optionalText,
  BACKFILL_S3_REGION: optionalText,
  BACKFILL_S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false', ''])
    .optional()
    .transform((v) => (v === 'true' ? true : v === 'false' ? false : undefined)),
  BACKFILL_STAGING_DIR: optionalText,
  BACKFILL_RESUME_MIN_BYTES: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i, 'must be a size such as 64MiB (or bytes)')
    .default('64MiB'),
  BACKFILL_DOWNLOAD_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  BACKFILL_READ_PATH: z.enum(['auto', 'line']).default('auto'),
  BACKFILL_WORKER_IDENTITY: optionalText,
  BACKFILL_METRICS_HOST: z.string().default('127.0.0.1'),
  BACKFILL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  BACKFILL_SHUTDOWN_GRACE: z
    .string()
    .regex(/^\d+(ms|s|m)$/, 'must be a duration such as 30s')
    .default('30s'),
  BACKFILL_CONNECT_TIMEOUT: z
    .string()
    .regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 30s or 5m')
    .default('5m'),
  BACKFILL_LAKE_CONNECT_TIMEOUT: z
    .string()
    .regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 20s or 1m')
    .default('20s'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export type Config = Readonly<z.output<typeof ConfigSchema>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the optional config file: keys are the environment variable names. */
function configFile(file: string | undefined): Record<string, string> {
  if (!file) return {};
  let value: unknown;
  try {
    value = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      `BACKFILL_CONFIG: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`BACKFILL_CONFIG: ${file} must map names to values`);
  const unknown = Object.keys(value).filter((k) => !(k in ENV_VARS));
  if (unknown.length)
    throw new ConfigError(`BACKFILL_CONFIG: ${file} has unknown key(s) ${unknown.join(', ')}`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const fromFile = configFile(env.BACKFILL_CONFIG);
  const picked = Object.fromEntries(Object.keys(ENV_VARS).map((k) => [k, env[k] ?? fromFile[k]]));
  const result = ConfigSchema.safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${problems}`);
  }
  const config = result.data;
  if (Boolean(config.TEMPORAL_TLS_CERT) !== Boolean(config.TEMPORAL_TLS_KEY)) {
    throw new ConfigError('invalid environment: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  }
  return Object.freeze(config);
}

/**
 * DuckDB threads of a worker: as set, else its cores shared among the loads it runs at once (at
 * least one each). A backfill keeps several loads in flight, and one thread per load spent ~25 %
 * less CPU per partition than two at 4 loads on 2 cores (BENCHMARKS.md); a worker that loads one
 * large partition at a time should set it to its cores.
 */
export function duckdbThreads(
  config: Pick<Config, 'BACKFILL_DUCKDB_THREADS' | 'BACKFILL_MAX_CONCURRENT_ACTIVITIES'>,
  cores = availableParallelism(),
): number {
  return (
    config.BACKFILL_DUCKDB_THREADS ??
    Math.max(1, Math.floor(cores / config.BACKFILL_MAX_CONCURRENT_ACTIVITIES))
  );
}

/** Web UI link for a workflow; the dev server's UI sits on port + 1000. */
export function uiUrl(config: Config, workflowId?: string): string {
  let base = config.BACKFILL_UI_URL;
  if (!base) {
    const [host, port] = config.TEMPORAL_ADDRESS.split(':');
    base = `http://${host === '127.0.0.1' || !host ? 'localhost' : host}:${Number(port ?? 7233) + 1000}`;
  }
  const ns = encodeURIComponent(config.TEMPORAL_NAMESPACE);
  return workflowId
    ? `${base}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}`
    : `${base}/namespaces/${ns}/workflows`;
}
