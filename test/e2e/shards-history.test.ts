/**
 * A sharded partition's history stays bounded however many shards it has: the real partition
 * workflow on the dev server, with activities that stand in for the shard activities (they stage
 * nothing, so 1,200 shards take seconds), continues as new every 500 finished shards, never keeps
 * more than `concurrency` shard activities pending, and ends with every shard counted once.
 * (What the real activities stage and commit is test/activities/shards.test.ts and e2e/shards.test.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { parseSpec } from '../../common/spec';
import type {
  CommitShardsInput,
  LoadPartitionResult,
  PartitionWorkflowResult,
  PlanShardsResult,
  StageShardInput,
  StageShardResult,
} from '../../common/types';
import { useTestEnv } from '../../testkit/env';
import { uniqueId } from '../../testkit/fixtures';
import { historyLengths } from '../../testkit/inspect';
import { workflowBundle } from '../../testkit/worker';

const SHARDS = 1200;
const CONCURRENCY = 40;

describe('a sharded partition of many shards keeps its history bounded', () => {
  const env = useTestEnv();

  it(`${SHARDS} shards: continue-as-new every 500, at most ${CONCURRENCY} pending, every shard counted once`, async () => {
    let running = 0;
    let maxRunning = 0;
    const staged = new Map<number, number>();
    const activities = {
      planShards: (): Promise<PlanShardsResult> =>
        Promise.resolve({ planId: 'p', shards: SHARDS, files: SHARDS * 2, bytes: SHARDS * 100 }),
      stageShard: async (input: StageShardInput): Promise<StageShardResult> => {
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
        staged.set(input.shard, (staged.get(input.shard) ?? 0) + 1);
        return {
          shard: input.shard,
          files: 2,
          bytes: 100,
          rowsRead: 10,
          rowsRejected: 1,
          duplicatesRemoved: 2,
          rowsStaged: 7,
          reused: false,
          worker: `w${input.shard % 3}`,
        };
      },
      commitShards: (input: CommitShardsInput): Promise<LoadPartitionResult> =>
        Promise.resolve({
          status: 'succeeded',
          files: input.plan.files,
          filesReused: 0,
          bytes: input.plan.bytes,
          rowsRead: input.counts.rowsRead,
          rowsAccepted: input.counts.rowsStaged,
          duplicatesRemoved: input.counts.duplicatesRemoved,
          rowsRejected: input.counts.rowsRejected,
          rowsWritten: input.counts.rowsStaged,
          attempts: 1,
          durationMs: 1,
        }),
      cleanupShards: () => Promise.resolve({ removed: 0 }),
    };
    const taskQueue = uniqueId('tq-shards');
    const worker = await Worker.create({
      connection: env.server.nativeConnection,
      namespace: env.server.namespace,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
      maxConcurrentActivityTaskExecutions: 200,
    });
    const spec = parseSpec({
      name: 'many-shards',
      source: { uri: '/nowhere', shards: { maxFiles: 2, minPartitionBytes: 0, concurrency: CONCURRENCY } },
      staging: { uri: '/nowhere-staging' },
      schema: { id: 'VARCHAR' },
      target: {
        path: '/nowhere/t.duckdb',
        table: 't',
        keyColumns: ['id'],
        partitionColumns: ['year', 'month'],
      },
      range: { from: '2019-01', to: '2019-01' },
    });
    const workflowId = uniqueId('many-shards');
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('partitionWorkflow', {
        taskQueue,
        workflowId,
        args: [{ backfillId: spec.name, spec, partitionKeys: ['2019-01'] }],
      });
      return (await handle.result()) as PartitionWorkflowResult;
    });
    const outcome = result.results['2019-01']!;
    assert.equal(outcome.status, 'succeeded');
    if (outcome.status !== 'succeeded') return;
    assert.deepEqual(outcome.shards, {
      total: SHARDS,
      done: SHARDS,
      reused: 0,
      workers: { w0: 400, w1: 400, w2: 400 },
    });
    assert.deepEqual(
      [outcome.rowsRead, outcome.rowsRejected, outcome.duplicatesRemoved],
      [SHARDS * 10, SHARDS, SHARDS * 2],
    );
    assert.equal(staged.size, SHARDS);
    assert.ok(
      [...staged.values()].every((n) => n === 1),
      'every shard staged once',
    );
    assert.ok(maxRunning <= CONCURRENCY, `at most ${CONCURRENCY} pending, saw ${maxRunning}`);
    const lengths = await historyLengths(env.client, workflowId);
    assert.equal(lengths.length, Math.ceil(SHARDS / 500), `runs: ${lengths.join(', ')}`);
    assert.ok(
      lengths.every((n) => n < 5000),
      `history lengths: ${lengths.join(', ')}`,
    );
  });
});
