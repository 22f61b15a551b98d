import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { validateCompose } from '../compose-check';

const root = path.resolve(__dirname, '..', '..', '..');
const text = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
type Doc = { services: Record<string, Record<string, unknown>> };
const mutate = (fn: (doc: Doc) => void) => {
  const doc = parse(text) as Doc;
  fn(doc);
  return stringify(doc);
};

describe('docker-compose.yml', () => {
  it('passes the static checks', () => {
    assert.deepEqual(validateCompose(text), []);
    const services = Object.keys((parse(text) as Doc).services);
    for (const s of [
      'postgresql',
      'temporal',
      'temporal-ui',
      'minio',
      'minio-setup',
      'worker',
      'prometheus',
      'grafana',
    ])
      assert.ok(services.includes(s), s);
  });

  const broken: [string, () => string, RegExp][] = [
    ['unparseable YAML', () => `${text}\n  bad: [unclosed`, /^not valid YAML/],
    [
      'a service without image or build',
      () => mutate((d) => delete d.services.minio!.image),
      /^minio: neither image nor build$/,
    ],
    [
      'two services on one host port',
      () => mutate((d) => (d.services.grafana!.ports = ['9090:3000'])),
      /^grafana: host port 9090 already used by prometheus$/,
    ],
    [
      'waiting for a service without healthcheck',
      () => mutate((d) => delete d.services.minio!.healthcheck),
      /^(minio-setup|worker): waits for minio to be healthy, but minio has no healthcheck$/,
    ],
    [
      'depends_on an unknown service',
      () => mutate((d) => (d.services.worker!.depends_on = { ghost: { condition: 'service_started' } })),
      /^worker: depends_on unknown service ghost$/,
    ],
    [
      'an env var the config loader does not read',
      () => mutate((d) => ((d.services.worker!.environment as Record<string, string>).BACKFILL_TYPO = '1')),
      /^worker: environment BACKFILL_TYPO is not read by the config loader$/,
    ],
  ];
  for (const [name, make, expected] of broken) {
    it(`fails on ${name}`, () => {
      const problems = validateCompose(make());
      assert.ok(
        problems.some((p) => expected.test(p)),
        problems.join('\n') || 'no problems found',
      );
    });
  }

  it('builds the worker image as a non-root user with production dependencies only', () => {
    const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^CMD \["node", "dist\/worker\/main\.js"\]$/m);
  });

  it('the Grafana dashboard queries only metrics the worker exports', async () => {
    const dashboard = readFileSync(
      path.join(root, 'deploy', 'grafana', 'dashboards', 'backfill.json'),
      'utf8',
    );
    const used = new Set(
      [...dashboard.matchAll(/backfill_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')),
    );
    const { createMetrics } = await import('../../worker/metrics');
    const exported = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    assert.deepEqual(
      [...used].filter((n) => !exported.has(n)),
      [],
    );
  });
});
