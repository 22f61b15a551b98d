import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertOneLineError, runCliProcess as cli } from '../../testkit/cli';
import { startTestEnv, type TestEnv } from '../../testkit/env';
import { generatedTransactions, tempDir, uniqueId, writeSpecFile } from '../../testkit/fixtures';
import { transactionsSpecInput } from '../../testkit/specs';
import { startMinio, type Minio } from '../../testkit/minio-server';
import { spawnWorker, type WorkerProcess } from '../../testkit/processes';
import { waitFor } from '../../testkit/wait';

type Plan = { partitions: { key: string; files: number; bytes: number; lastRun: string; action: string }[] };

/** Bytes of the files under a local partition directory (what MinIO holds after the upload). */
const bytesUnder = (dir: string) =>
  readdirSync(dir).reduce((sum, file) => sum + statSync(path.join(dir, file)).size, 0);

/** A transactions spec over s3://planned/raw from 2019-01 to `to`, written to dir/spec.yaml. */
const writeS3Spec = (dir: string, name: string, to: string) =>
  writeSpecFile(
    dir,
    transactionsSpecInput({
      name,
      source: 's3://planned/raw',
      target: path.join(dir, 'warehouse.duckdb'),
      from: '2019-01',
      to,
    }),
    'spec.yaml',
  );

describe('backfill plan lists files on a worker', () => {
  let minio: Minio;
  let env: TestEnv;
  let worker: WorkerProcess;
  const taskQueue = uniqueId('plan-tq');
  before(async () => {
    // The CLI runs with this process's environment: no AWS credentials anywhere in it.
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    minio = await startMinio();
    env = await startTestEnv();
    worker = spawnWorker(env.server, taskQueue, {
      AWS_ACCESS_KEY_ID: minio.accessKey,
      AWS_SECRET_ACCESS_KEY: minio.secretKey,
      BACKFILL_S3_ENDPOINT: minio.endpoint,
      BACKFILL_S3_FORCE_PATH_STYLE: 'true',
      LOG_LEVEL: 'info',
    });
    // The CLI gives a worker 10 s to pick up a plan: wait until this one polls.
    await waitFor('the worker to poll', () =>
      Promise.resolve(worker.logs.some((l) => /"state":"RUNNING"/.test(l) && /Worker state changed/.test(l))),
    );
  });
  after(async () => {
    await worker?.kill('SIGTERM');
    await env?.server.stop();
    await minio?.stop();
  });

  it('a shell without S3 credentials plans an S3 backfill with the workers credentials', async () => {
    const { dir, raw } = generatedTransactions({
      from: '2019-01',
      to: '2019-02',
      rowsPerPartition: 80,
      filesPerPartition: 3,
    });
    await minio.createBucket('planned');
    assert.equal(await minio.uploadDir('planned', 'raw/', raw), 6);
    const name = uniqueId('plan-s3');
    const file = writeS3Spec(dir, name, '2019-03'); // 2019-03 has no objects
    const cliEnv = { TEMPORAL_ADDRESS: env.server.address, BACKFILL_TASK_QUEUE: taskQueue };
    assert.deepEqual(
      Object.keys({ ...process.env, ...cliEnv }).filter((k) => k.startsWith('AWS_')),
      [],
      'the CLI process has no AWS credentials',
    );

    const result = await cli(['plan', file, '--json'], cliEnv);
    assert.equal(result.code, 0, result.stderr);
    const plan = JSON.parse(result.stdout) as Plan;
    assert.deepEqual(
      plan.partitions.map((p) => [p.key, p.files, p.bytes, p.lastRun, p.action]),
      [
        ['2019-01', 3, bytesUnder(path.join(raw, 'year=2019', 'month=01')), 'none', 'run'],
        ['2019-02', 3, bytesUnder(path.join(raw, 'year=2019', 'month=02')), 'none', 'run'],
        ['2019-03', 0, 0, 'none', 'run'],
      ],
    );

    const human = await cli(['plan', file], cliEnv);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      /3 partitions: 3 would run, 0 would be skipped \(reprocess failed\); 6 files, /,
    );

    // The listing ran as a plan workflow on the worker's task queue, named after the backfill.
    const plans: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowType = 'planWorkflow'` }))
      if (wf.workflowId.startsWith(`${name}/plan-`) && wf.taskQueue === taskQueue) plans.push(wf.status.name);
    assert.deepEqual(plans, ['COMPLETED', 'COMPLETED']);
  });

  it('pages a long range: 5,113 days over two plan workflows and eleven listings, each file at its own partition', async () => {
    const dir = tempDir();
    const raw = path.join(dir, 'raw');
    // First partition, either side of a listing page (500) and of a workflow page (5,000), and the last.
    const placed: Record<string, number> = {
      '2006-01-01': 11,
      '2007-05-15': 22, // index 499, the end of the first listing
      '2007-05-16': 33, // index 500, the start of the second
      '2019-09-09': 44, // index 4999
      '2019-09-10': 55, // index 5000, in the second plan workflow
      '2019-12-31': 66,
    };
    for (const [key, size] of Object.entries(placed)) {
      const [y, m, d] = key.split('-');
      const partition = path.join(raw, `year=${y}`, `month=${m}`, `day=${d}`);
      mkdirSync(partition, { recursive: true });
      writeFileSync(path.join(partition, 'part-0.ndjson'), 'x'.repeat(size));
    }
    const name = uniqueId('plan-days');
    const file = writeSpecFile(
      dir,
      {
        ...transactionsSpecInput({
          name,
          source: { uri: raw, layout: 'year={yyyy}/month={mm}/day={dd}/' },
          target: path.join(dir, 'warehouse.duckdb'),
          targetOptions: { partitionColumns: ['year', 'month', 'day'] },
          from: '2006-01-01',
          to: '2019-12-31',
        }),
        range: { from: '2006-01-01', to: '2019-12-31', granularity: 'day' },
        partitionsPerChild: 100,
      },
      'spec.yaml',
    );
    const result = await cli(['plan', file, '--json'], {
      TEMPORAL_ADDRESS: env.server.address,
      BACKFILL_TASK_QUEUE: taskQueue,
    });
    assert.equal(result.code, 0, result.stderr);
    const plan = JSON.parse(result.stdout) as Plan;
    assert.equal(plan.partitions.length, 5113);
    assert.equal(plan.partitions[499]!.key, '2007-05-15');
    assert.equal(plan.partitions[5000]!.key, '2019-09-10');
    const withFiles = Object.fromEntries(
      plan.partitions.filter((p) => p.files > 0).map((p) => [p.key, p.bytes]),
    );
    assert.deepEqual(withFiles, placed);
    const plans: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowType = 'planWorkflow'` }))
      if (wf.workflowId.startsWith(`${name}/plan-`)) plans.push(wf.status.name);
    assert.deepEqual(plans, ['COMPLETED', 'COMPLETED']);
  });

  it('with no worker on the task queue: one line saying a worker is needed, exit 4, nothing left running', async () => {
    const dir = tempDir();
    const name = uniqueId('plan-nobody');
    const file = writeS3Spec(dir, name, '2019-02');
    const nobody = uniqueId('nobody');
    const result = await cli(['plan', file], {
      TEMPORAL_ADDRESS: env.server.address,
      BACKFILL_TASK_QUEUE: nobody,
    });
    assert.equal(result.code, 4, result.stderr);
    assertOneLineError(
      result,
      new RegExp(
        `^error: no worker answered on task queue "${nobody}" within 10s: backfill plan lists files on a worker`,
      ),
    );
    const left: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowType = 'planWorkflow'` }))
      if (wf.workflowId.startsWith(`${name}/plan-`)) left.push(wf.status.name);
    assert.deepEqual(left, ['TERMINATED']);
  });
});
