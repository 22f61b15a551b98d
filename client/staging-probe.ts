/**
 * The staging location of a sharded spec, checked before anything runs: a worker (its
 * credentials, its network: the CLI may have neither) writes, reads back and deletes a small
 * object there. `start` and `plan` refuse a location that is unreachable or not writable with one
 * line (exit 2). Without a worker, `start` goes on with a warning: the backfill checks it again
 * as its first step, on the worker that runs it, before any partition starts.
 */
import type { Client } from '@temporalio/client';
import type { BackfillSpec } from '../common/spec';
import { UsageError } from './errors';
import { rootMessage, runOnWorker, WorkflowFailedError, type OnWorkerOptions } from './on-worker';

export async function probeStagingOnWorker(
  client: Client,
  spec: BackfillSpec,
  options: OnWorkerOptions & { backfillId?: string },
): Promise<void> {
  if (!spec.source.shards || !spec.staging) return;
  try {
    await runOnWorker<void>(
      client,
      'stagingProbeWorkflow',
      { spec },
      {
        ...options,
        workflowId: `${options.backfillId ?? spec.name}/staging-probe`,
        summary: `probe the staging location of ${options.backfillId ?? spec.name}`,
        why: 'the staging location of source.shards is checked on a worker, with its credentials',
      },
    );
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new UsageError(rootMessage(err, false));
    throw err;
  }
}
