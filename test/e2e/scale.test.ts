import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startBackfill } from '../../client/backfills';
import { parseSpec } from '../../common/spec';
import { useTestEnv } from '../../testkit/env';
import { tempDir, uniqueId } from '../../testkit/fixtures';
import { historyLengths } from '../../testkit/inspect';
import { waitFor } from '../../testkit/wait';
import { withWorker } from '../../testkit/worker';

describe('scale: 10,000 no-op partitions', () => {
  const env = useTestEnv();

  it('completes with every run of the parent under 10,000 history events (continue-as-new loses no partition)', async () => {
    const dir = tempDir();
    const spec = parseSpec({
      name: uniqueId('scale'),
      source: { uri: path.join(dir, 'nothing-here'), layout: '{key}/' },
      schema: { id: 'VARCHAR' },
      target: { path: path.join(dir, 't.duckdb'), table: 't', keyColumns: ['id'] },
      range: { from: '2000-01-01', to: '2027-05-18', granularity: 'day' },
      maxConcurrency: 100,
      // Batched so CI stays short; 2,500 children still need several continue-as-new generations.
      partitionsPerChild: 4,
      maintenance: { enabled: false },
    });
    await withWorker(env, { maxConcurrentActivities: 50 }, async ({ taskQueue }) => {
      const started = Date.now();
      const summary = await (await startBackfill(env.client, spec, { taskQueue })).result();
      const seconds = (Date.now() - started) / 1000;
      assert.equal(summary.total, 10_000);
      assert.equal(summary.counts.empty, 10_000);
      assert.ok(summary.generation >= 1, `continued as new ${summary.generation} time(s)`);
      // Visibility lists the last run a moment after it closes.
      const lengths = await waitFor('every run in visibility', async () => {
        const found = await historyLengths(env.client, spec.name);
        return found.length === summary.generation + 1 ? found : undefined;
      });
      assert.ok(Math.min(...lengths) > 0, `every run has a history: ${lengths.join(', ')}`);
      assert.ok(Math.max(...lengths) < 10_000, `largest run history: ${Math.max(...lengths)} events`);
      // A batch of empty partitions costs one activity, not one load each.
      const child = await env.client.workflow.getHandle(`${spec.name}/2000-01-01..2000-01-04`).fetchHistory();
      const activities = (child.events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
        .filter(Boolean);
      assert.deepEqual(activities, ['loadSmallPartitions']);
      process.stdout.write(
        `# 10,000 partitions in ${seconds.toFixed(1)} s (${((seconds * 1000) / 10_000).toFixed(1)} ms/partition), ${lengths.length} runs, largest history ${Math.max(...lengths)} events\n`,
      );
    });
  });
});
