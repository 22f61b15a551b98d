import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { parseSpec } from '../../common/spec';
import { validateCompose, validateLakeWiring } from '../compose-check';

const root = path.resolve(__dirname, '..', '..', '..');
const text = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
const lakeSpec = readFileSync(path.join(root, 'deploy', 'specs', 'transactions-lake.yaml'), 'utf8');
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
      'lake-setup',
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

  it("wires the workers to the stack's DuckLake, and lets them scale out", () => {
    assert.deepEqual(validateLakeWiring(text, lakeSpec), []);
    // The stack's lake spec is a valid spec, and carries no secret.
    const spec = parseSpec(parse(lakeSpec));
    assert.equal(spec.target.type, 'ducklake');
    for (const secret of ['lake-secret', 'backfill-secret']) assert.ok(!lakeSpec.includes(secret));
  });

  const env = (d: Doc, service: string) => d.services[service]!.environment as Record<string, string>;
  const miswired: [string, () => [string, string], RegExp][] = [
    [
      'a catalog database lake-setup does not create',
      () => [text, lakeSpec.replace('dbname=lake ', 'dbname=other ')],
      /^lake spec: catalog dbname other is not lake-setup's lake$/,
    ],
    [
      'a catalog role lake-setup does not create',
      () => [mutate((d) => (env(d, 'lake-setup').LAKE_USER = 'someone')), lakeSpec],
      /^lake spec: catalog user lake is not lake-setup's someone$/,
    ],
    [
      'a catalog on another host',
      () => [text, lakeSpec.replace('host=postgresql', 'host=localhost')],
      /^lake spec: catalog host localhost is not the PostgreSQL lake-setup prepares$/,
    ],
    [
      "a worker without the lake role's password",
      () => [mutate((d) => delete env(d, 'worker').PGPASSWORD), lakeSpec],
      /^worker: PGPASSWORD is not the lake role's password/,
    ],
    [
      'no lake-setup service',
      () => [mutate((d) => delete d.services['lake-setup']), lakeSpec],
      /^no lake-setup service/,
    ],
    [
      'a lake bucket minio-setup does not create',
      () => [text, lakeSpec.replace('s3://lake/', 's3://warehouse/')],
      /^minio-setup: does not create the lake bucket warehouse$/,
    ],
    [
      "AWS keys that are not MinIO's",
      () => [mutate((d) => (env(d, 'worker').AWS_SECRET_ACCESS_KEY = 'wrong')), lakeSpec],
      /^worker: AWS keys are not minio's$/,
    ],
    [
      'a worker that does not wait for lake-setup',
      () => [
        mutate((d) => delete (d.services.worker!.depends_on as Record<string, unknown>)['lake-setup']),
        lakeSpec,
      ],
      /^worker: does not wait for lake-setup to complete$/,
    ],
    [
      'a fixed host port on the worker',
      () => [mutate((d) => (d.services.worker!.ports = ['9464:9464'])), lakeSpec],
      /^worker: host port 9464 is fixed; a second replica cannot bind it$/,
    ],
    [
      'staged files on the volume replicas share',
      () => [mutate((d) => (env(d, 'worker').BACKFILL_STAGING_DIR = '/data/staging')), lakeSpec],
      /^worker: BACKFILL_STAGING_DIR is on the shared volume at \/data; replicas would share it$/,
    ],
  ];
  for (const [name, make, expected] of miswired) {
    it(`lake wiring fails on ${name}`, () => {
      const problems = validateLakeWiring(...make());
      assert.ok(
        problems.some((p) => expected.test(p)),
        problems.join('\n') || 'no problems found',
      );
    });
  }
});
