/**
 * A backfill handed from one worker process to another: started on a first worker whose
 * environment keeps partitions mid-load (a fault delay), which the test then stops (SIGKILL,
 * SIGTERM) when it chooses, and finished by a fresh worker. The crash, shutdown and resume suites.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { startBackfill } from '../client/backfills';
import type { backfillWorkflow } from '../workflows';
import type { TestEnv } from './env';
import { prepareTransactionsBackfill, type PreparedBackfill } from './fixtures';
import { assertTargetEqualsOracle } from './oracle';
import { spawnWorker, withWorkerProcess, type WorkerProcess } from './processes';

type Summary = Awaited<ReturnType<typeof backfillWorkflow>>;

export interface HandedOverBackfill {
  /** The generated data, spec and target. */
  backfill: PreparedBackfill;
  /** The first worker; the test stops it. */
  first: WorkerProcess;
  handle: WorkflowHandle<typeof backfillWorkflow>;
  /**
   * Runs the rest of the backfill on a fresh worker process (`workerEnv` in its environment), then
   * asserts the target equals the generator's oracle; resolves with the backfill's summary.
   */
  finishOnNewWorker: (workerEnv?: Record<string, string>) => Promise<Summary>;
}

/**
 * Prepares a transactions backfill (`prepareTransactionsBackfill`) and starts it on a first worker
 * process with `firstWorkerEnv` in its environment.
 */
export async function startOnFirstWorker(
  env: TestEnv,
  options: Parameters<typeof prepareTransactionsBackfill>[0] & { firstWorkerEnv: Record<string, string> },
): Promise<HandedOverBackfill> {
  const { firstWorkerEnv, ...prepare } = options;
  const backfill = prepareTransactionsBackfill(prepare);
  const { spec, taskQueue } = backfill;
  const first = spawnWorker(env.server, taskQueue, firstWorkerEnv);
  const handle = await startBackfill(env.client, spec, { taskQueue });
  return {
    backfill,
    first,
    handle,
    async finishOnNewWorker(workerEnv = {}) {
      const summary = await withWorkerProcess(env.server, taskQueue, workerEnv, () => handle.result());
      await assertTargetEqualsOracle(backfill.target, backfill.data.oracle);
      return summary;
    },
  };
}

/** How many partitions took more than one attempt. */
export const retriedPartitions = (summary: { partitions?: { stats?: { attempts?: number } }[] }) =>
  (summary.partitions ?? []).filter((p) => (p.stats?.attempts ?? 0) > 1).length;
