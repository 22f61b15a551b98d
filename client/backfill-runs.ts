/**
 * What the server keeps of a backfill, read without a worker: its runs (visibility), each closed
 * run's result summary, its children (visibility: the BackfillId search attribute, the parent run,
 * the close status) and, for a bounded number of them, their results. Every read is one cheap RPC
 * (a close event or a visibility page); none replays a workflow.
 */
import { ServiceError, WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { normalizeOutcomes, normalizeProgress } from '../common/counts';
import { BACKFILL_ID_PATTERN } from '../common/ids';
import { mapLimit } from '../common/map-limit';
import type { PartitionFailureDetails, PartitionWorkflowResult } from '../common/types';
import type { BackfillSummary } from '../workflows/state';
import { runsOf, type BackfillRun, type ChildRun } from './run-merge';

/** Child results fetched at most for one view: beyond it, the close status alone speaks. */
export const CHILD_RESULTS_LIMIT = 200;
const FETCH_CONCURRENCY = 8;
/** Earlier runs consulted at most (the newest ones). */
export const EARLIER_RUNS_LIMIT = 50;

/** Visibility queries take the id inside quotes: only ids a backfill may have reach them. */
function quoted(backfillId: string): string {
  if (!BACKFILL_ID_PATTERN.test(backfillId)) throw new Error(`"${backfillId}" is not a backfill id`);
  return `'${backfillId}'`;
}

/** The backfill's runs, oldest first; the latest execution (described, strongly consistent) included. */
export async function listRuns(
  client: Client,
  backfillId: string,
  latest: { runId: string; status: string; startTime: Date },
): Promise<BackfillRun[]> {
  const executions = new Map<string, { runId: string; status: string; startTime: Date }>();
  const query = `WorkflowId = ${quoted(backfillId)} AND WorkflowType = 'backfillWorkflow'`;
  for await (const wf of client.workflow.list({ query }))
    executions.set(wf.runId, { runId: wf.runId, status: wf.status.name, startTime: wf.startTime });
  executions.set(latest.runId, latest);
  return runsOf([...executions.values()]);
}

const summaries = new Map<string, BackfillSummary>();

/** A completed run's result summary (closed runs never change: kept for the process's life). */
export async function runSummary(
  client: Client,
  backfillId: string,
  run: BackfillRun,
): Promise<BackfillSummary | undefined> {
  if (run.status !== 'COMPLETED') return undefined;
  const runId = run.runIds[run.runIds.length - 1]!;
  let summary = summaries.get(runId);
  if (!summary) {
    // A summary recorded before the rename carries rowsMerged.
    summary = normalizeProgress(
      (await client.workflow.getHandle(backfillId, runId, { followRuns: false }).result()) as BackfillSummary,
    );
    if (summaries.size > 1000) summaries.clear();
    summaries.set(runId, summary);
  }
  return summary;
}

export interface ListedChild extends ChildRun {
  workflowId: string;
  runId: string;
  parentRunId?: string;
}

/** Every child run of the backfill (all of its runs), through visibility. */
export async function listChildren(client: Client, backfillId: string): Promise<ListedChild[]> {
  const children: ListedChild[] = [];
  const prefix = `${backfillId}/`;
  const query = `BackfillId = ${quoted(backfillId)} AND WorkflowType = 'partitionWorkflow'`;
  for await (const wf of client.workflow.list({ query })) {
    if (!wf.workflowId.startsWith(prefix)) continue;
    children.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      childKey: wf.workflowId.slice(prefix.length),
      status: wf.status.name,
      startTime: wf.startTime,
      ...(wf.closeTime ? { closeTime: wf.closeTime } : {}),
      ...(wf.parentExecution?.runId ? { parentRunId: wf.parentExecution.runId } : {}),
    });
  }
  return children;
}

/**
 * Adds outcomes (stats, errors) to the newest closed children, at most `limit` of them: one RPC
 * each (the close event), so a 100,000-partition backfill is not read child by child.
 */
export async function fetchOutcomes(
  client: Client,
  children: ListedChild[],
  limit = CHILD_RESULTS_LIMIT,
): Promise<void> {
  const closed = children
    .filter((c) => c.status !== 'RUNNING')
    .sort((a, b) => (b.closeTime?.getTime() ?? 0) - (a.closeTime?.getTime() ?? 0))
    .slice(0, limit);
  await mapLimit(closed, FETCH_CONCURRENCY, async (child) => {
    const handle = client.workflow.getHandle(child.workflowId, child.runId, { followRuns: false });
    try {
      child.outcomes = normalizeOutcomes(((await handle.result()) as PartitionWorkflowResult).results);
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) return; // cancelled or terminated: no outcomes
      const cause = err.cause;
      const details =
        cause instanceof ApplicationFailure
          ? (cause.details?.[0] as PartitionFailureDetails | undefined)
          : undefined;
      if (details?.results) child.outcomes = normalizeOutcomes(details.results);
      else if (cause) child.error = cause.message;
    }
  });
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_FAILED_PRECONDITION = 9;

/** A query no worker answered: refused for want of pollers, or timed out waiting for one. */
export function isNoWorker(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  const code = (err.cause as { code?: number } | undefined)?.code;
  return (
    code === GRPC_DEADLINE_EXCEEDED ||
    code === GRPC_FAILED_PRECONDITION ||
    /Failed to query|no poller|deadline/i.test(err.message)
  );
}

export const noWorkerHint = (taskQueue: string) =>
  `no worker is polling task queue \`${taskQueue}\` — start one with \`backfill worker\``;
