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
