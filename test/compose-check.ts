/** Static checks of docker-compose.yml (no Docker engine here): what would break `docker compose up`. */
import { parse } from 'yaml';
import { ENV_VARS } from '../common/config';

interface Service {
  image?: string;
  build?: unknown;
  ports?: string[];
  healthcheck?: { test?: unknown };
  depends_on?: Record<string, { condition?: string }> | string[];
  environment?: Record<string, unknown>;
}

/** Problems found; empty means the file passes. */
export function validateCompose(text: string): string[] {
  let doc: { services?: Record<string, Service> };
  try {
    doc = parse(text) as typeof doc;
  } catch (err) {
    return [`not valid YAML: ${(err as Error).message.split('\n')[0]}`];
  }
  const services = doc?.services ?? {};
  const problems: string[] = [];
  if (Object.keys(services).length === 0) problems.push('no services');
  const hostPorts = new Map<string, string>();
  for (const [name, service] of Object.entries(services)) {
    if (!service.image && !service.build) problems.push(`${name}: neither image nor build`);
    for (const mapping of service.ports ?? []) {
      const host = String(mapping).split(':').slice(0, -1).join(':');
      if (!host) continue;
      const other = hostPorts.get(host);
      if (other) problems.push(`${name}: host port ${host} already used by ${other}`);
      else hostPorts.set(host, name);
    }
    const deps = Array.isArray(service.depends_on)
      ? Object.fromEntries(service.depends_on.map((d): [string, { condition?: string }] => [d, {}]))
      : (service.depends_on ?? {});
    for (const [dep, spec] of Object.entries(deps)) {
      const target = services[dep];
      if (!target) {
        problems.push(`${name}: depends_on unknown service ${dep}`);
        continue;
      }
      if (spec.condition === 'service_healthy' && !target.healthcheck?.test) {
        problems.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      }
    }
  }
  const worker = services.worker;
  if (!worker) problems.push('no worker service');
  else {
    if (!worker.healthcheck?.test) problems.push('worker: no healthcheck');
    for (const key of Object.keys(worker.environment ?? {})) {
      const ours = key.startsWith('BACKFILL_') || key.startsWith('TEMPORAL_') || key === 'LOG_LEVEL';
      if (ours && !(key in ENV_VARS))
        problems.push(`worker: environment ${key} is not read by the config loader`);
    }
  }
  return problems;
}

interface LakeSpec {
  target?: { type?: string; catalog?: string; dataPath?: string; endpoint?: string };
}

/** libpq `key=value` keywords (the stack's catalog string has no quoted values). */
const libpqKeywords = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split(/\s+/)
      .map((pair) => pair.split('='))
      .map(([k, ...v]) => [k!, v.join('=')]),
  );

/**
 * The lake's wiring, across the compose file and the stack's lake spec: the catalog database and
 * role the lake-setup one-shot creates are the spec's, on the stack's PostgreSQL; the worker logs in
 * with that role's password and writes with MinIO's keys into a bucket minio-setup creates; and
 * replicas of the worker (`--scale worker=3`) share no host port and no staging or spill folder.
 */
export function validateLakeWiring(composeText: string, specText: string): string[] {
  const services = (parse(composeText) as { services?: Record<string, Service & Extra> }).services ?? {};
  const spec = parse(specText) as LakeSpec;
  const problems: string[] = [];
  const target = spec.target ?? {};
  if (target.type !== 'ducklake') return ['lake spec: target.type is not ducklake'];
  const worker = services.worker ?? {};
  const workerEnv = worker.environment ?? {};
  const deps = (worker.depends_on ?? {}) as Record<string, { condition?: string }>;

  const setup = services['lake-setup'];
  if (!setup) problems.push('no lake-setup service creating the catalog database and role');
  else {
    const env = setup.environment ?? {};
    const catalog = libpqKeywords((target.catalog ?? '').replace(/^postgres:/, ''));
    if (!services[catalog.host ?? ''] || catalog.host !== env.PGHOST)
      problems.push(`lake spec: catalog host ${catalog.host} is not the PostgreSQL lake-setup prepares`);
    if (catalog.dbname !== env.LAKE_DATABASE)
      problems.push(
        `lake spec: catalog dbname ${catalog.dbname} is not lake-setup's ${String(env.LAKE_DATABASE)}`,
      );
    if (catalog.user !== env.LAKE_USER)
      problems.push(`lake spec: catalog user ${catalog.user} is not lake-setup's ${String(env.LAKE_USER)}`);
    if (workerEnv.PGPASSWORD !== env.LAKE_PASSWORD)
      problems.push("worker: PGPASSWORD is not the lake role's password (lake-setup LAKE_PASSWORD)");
    const script = JSON.stringify(setup.command ?? '') + JSON.stringify(setup.volumes ?? []);
    if (!script.includes('lake-catalog.sql'))
      problems.push('lake-setup: does not run deploy/postgres/lake-catalog.sql');
    if (deps['lake-setup']?.condition !== 'service_completed_successfully')
      problems.push('worker: does not wait for lake-setup to complete');
  }

  const bucket = /^s3:\/\/([^/]+)/.exec(target.dataPath ?? '')?.[1];
  const mc = JSON.stringify(services['minio-setup']?.command ?? '');
  if (!bucket) problems.push('lake spec: dataPath is not on S3 (MinIO)');
  else if (!new RegExp(`mb (--ignore-existing )?local/${bucket}\\b`).test(mc))
    problems.push(`minio-setup: does not create the lake bucket ${bucket}`);
  if (deps['minio-setup']?.condition !== 'service_completed_successfully')
    problems.push('worker: does not wait for minio-setup to complete');
  const endpointHost = target.endpoint ? new URL(target.endpoint).hostname : undefined;
  const minioEnv = services[endpointHost ?? '']?.environment ?? {};
  if (!endpointHost || !services[endpointHost])
    problems.push(`lake spec: endpoint ${target.endpoint} is not a service`);
  else if (
    workerEnv.AWS_ACCESS_KEY_ID !== minioEnv.MINIO_ROOT_USER ||
    workerEnv.AWS_SECRET_ACCESS_KEY !== minioEnv.MINIO_ROOT_PASSWORD
  )
    problems.push(`worker: AWS keys are not ${endpointHost}'s`);

  for (const mapping of worker.ports ?? []) {
    const host = String(mapping).split(':').slice(0, -1).join(':');
    if (host) problems.push(`worker: host port ${host} is fixed; a second replica cannot bind it`);
  }
  const named = (worker.volumes ?? [])
    .map((v) => String(v).split(':'))
    .filter(([source]) => source && !source.startsWith('.') && !source.startsWith('/'))
    .map(([, mount]) => mount!);
  for (const key of ['BACKFILL_STAGING_DIR', 'BACKFILL_DUCKDB_TEMP_DIR']) {
    const value = workerEnv[key];
    const dir = typeof value === 'string' ? value : '';
    const shared = named.find((mount) => dir === mount || dir.startsWith(`${mount}/`));
    if (shared) problems.push(`worker: ${key} is on the shared volume at ${shared}; replicas would share it`);
  }
  return problems;
}

interface Extra {
  command?: unknown;
  volumes?: string[];
}
