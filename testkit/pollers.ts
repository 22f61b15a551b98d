/** Waiting for workers: a task queue is served once enough distinct workers poll it for both kinds of task. */
import type { Client } from '@temporalio/client';

const WORKFLOW_TASKS = 1;
const ACTIVITY_TASKS = 2;

/**
 * Resolves once `count` workers poll `taskQueue` for workflow and activity tasks (activity tasks
 * only with `activitiesOnly`: a commit task queue); throws after the deadline.
 */
export async function pollersReady(
  client: Client,
  taskQueue: string,
  count = 1,
  timeoutMs = 120_000,
  activitiesOnly = false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const kinds = activitiesOnly ? [ACTIVITY_TASKS] : [WORKFLOW_TASKS, ACTIVITY_TASKS];
  for (;;) {
    const polling = await Promise.all(
      kinds.map(async (taskQueueType) => {
        const { pollers } = await client.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType,
        });
        return new Set((pollers ?? []).map((p) => p.identity)).size >= count;
      }),
    );
    if (polling.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`${count} workers did not start polling ${taskQueue}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
