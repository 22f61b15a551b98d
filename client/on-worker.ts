/**
 * A short workflow the CLI runs on a worker and waits for (plan's listing, the staging probe): the
 * worker's sources and credentials answer, not the shell's. If no worker has picked it up within
 * the timeout it is terminated (so it does not run later) and NoWorkerError says a worker is needed.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, type Client, WorkflowFailedError } from '@temporalio/client';
import { NoWorkerError } from './errors';

const WORKER_TIMEOUT_MS = 10_000;

export interface OnWorkerOptions {
  taskQueue: string;
  workerTimeoutMs?: number;
}

/** The innermost cause, with its failure type when it has one (e.g. SourceAccessError). */
export function rootMessage(err: Error, withType = true): string {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return withType && e instanceof ApplicationFailure && e.type ? `${e.type}: ${e.message}` : e.message;
}

export async function runOnWorker<T>(
  client: Client,
  workflowType: string,
  input: unknown,
  options: OnWorkerOptions & {
    workflowId: string;
    summary: string;
    /** Why a worker is needed, e.g. "backfill plan lists files on a worker, with its credentials". */
    why: string;
  },
): Promise<T> {
  const handle = await client.workflow.start(workflowType, {
    workflowId: `${options.workflowId}-${randomUUID().slice(0, 8)}`,
    taskQueue: options.taskQueue,
    args: [input],
    // Bounded even if the CLI goes away: a workflow nobody waits for must not linger.
    workflowExecutionTimeout: '1h',
    staticSummary: options.summary,
  });
  const result = handle.result() as Promise<T>;
  result.catch(() => undefined); // awaited below, or abandoned after terminate
  const timeoutMs = options.workerTimeoutMs ?? WORKER_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
  );
  try {
    const first = await Promise.race([result, timedOut]);
    if (first !== 'timeout') return first;
    // A worker that picked up the first workflow task has written past the two opening events.
    const description = await handle.describe();
    if (description.historyLength <= 2 && description.status.name === 'RUNNING') {
      await handle.terminate(`no worker picked up: ${options.summary}`).catch(() => undefined);
      throw new NoWorkerError(
        `no worker answered on task queue "${options.taskQueue}" within ${Math.round(timeoutMs / 1000)}s: ` +
          `${options.why} (start one: "backfill worker" or "backfill dev")`,
      );
    }
    return await result;
  } finally {
    clearTimeout(timer);
  }
}

export { WorkflowFailedError };
