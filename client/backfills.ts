/**
 * Client-side operations on backfills, shared by the CLI, the demo and the tests. The spec travels
 * in the workflow input and in the memo (it never holds credentials: those come from the AWS chain).
 */
import { lastRunStatus } from '../activities/child-runs';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  type Client,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { BackfillIdAttribute } from '../common/ids';
import type { BackfillSpec } from '../common/spec';
import type { backfillWorkflow, BackfillWorkflowInput } from '../workflows/backfill';
import * as messages from '../workflows/messages';
import type { BackfillProgress, PartitionState, ProgressRequest } from '../workflows/state';
import {
  EARLIER_RUNS_LIMIT,
  fetchOutcomes,
  isNoWorker,
  listChildren,
  listRuns,
  noWorkerHint,
  plannedKeys,
  runSummary,
  type ListedChild,
} from './backfill-runs';
import { mergeRuns, partitionsFromChildren, tally, type BackfillRun, type PartitionView } from './run-merge';

export class BackfillNotFoundError extends Error {
  override name = 'BackfillNotFoundError';
  constructor(readonly backfillId: string) {
    super(`no backfill with id "${backfillId}" (see: backfill list)`);
  }
}

export class BackfillConflictError extends Error {
  override name = 'BackfillConflictError';
}

export interface StartOptions {
  taskQueue: string;
  /** Defaults to spec.name. */
  backfillId?: string;
  force?: string[];
  /** Continue-as-new after this many events (tests and history recording). */
  historyBudget?: number;
}

export async function startBackfill(
  client: Client,
  spec: BackfillSpec,
  options: StartOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof backfillWorkflow>> {
  const backfillId = options.backfillId ?? spec.name;
  // A first run has no finished children to look for; a re-run has them checked up front.
  const rerun = (await lastRunStatus(client, backfillId)) !== 'none';
  const input: BackfillWorkflowInput = {
    backfillId,
    spec,
    ...(rerun ? { rerun } : {}),
    ...(options.force?.length ? { force: options.force } : {}),
    ...(options.historyBudget ? { historyBudget: options.historyBudget } : {}),
  };
  try {
    return await client.workflow.start<typeof backfillWorkflow>('backfillWorkflow', {
      workflowId: backfillId,
      taskQueue: options.taskQueue,
      args: [input],
      // A finished backfill may be started again: its children's closed runs decide what is skipped.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      typedSearchAttributes: [{ key: BackfillIdAttribute, value: backfillId }],
      memo: { spec },
      staticSummary: `backfill ${backfillId}: ${spec.source.uri} → ${spec.target.table}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new BackfillConflictError(
        `backfill "${backfillId}" is already running (see: backfill status ${backfillId})`,
      );
    }
    throw err;
  }
}

function handleOf(client: Client, backfillId: string) {
  return client.workflow.getHandle<typeof backfillWorkflow>(backfillId);
}

async function describe(client: Client, backfillId: string) {
  try {
    return await handleOf(client, backfillId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new BackfillNotFoundError(backfillId);
    throw err;
  }
}

export interface BackfillStatus extends BackfillProgress {
  workflowStatus: string;
  /** Each partition's latest outcome over every run of the backfill, and the run it came from. */
  partitions?: PartitionView[];
  /** Runs of this backfill id: a retry after it closed, or another start, is a new run. */
  runs: number;
  /** `server` when no worker answered and the view was rebuilt from what the server keeps. */
  source: 'worker' | 'server';
  /** Set when no worker polls the backfill's task queue. */
  hint?: string;
}

/** How long a progress query may wait for a worker before the server's own record answers. */
const QUERY_DEADLINE_MS = 5000;

/** The latest run's partitions and what the run reports about itself. */
interface LatestRun {
  progress: BackfillProgress;
  partitions: PartitionState[];
  source: 'worker' | 'server';
  /** The worker already applied the request (filter, page): partitions are that page. */
  paged?: boolean;
}

/**
 * The latest run's progress from a worker: as requested, or (`undefined`) every partition, page by
 * page, for merging with earlier runs.
 */
async function queryProgress(
  client: Client,
  backfillId: string,
  request: ProgressRequest | undefined,
): Promise<BackfillProgress> {
  const handle = handleOf(client, backfillId);
  const limit = 5000;
  const first = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
    handle.query(messages.progressQuery, request ?? { limit }),
  );
  if (request) return first;
  const partitions = [...(first.partitions ?? [])];
  while (partitions.length < first.total) {
    const page = await handle.query(messages.progressQuery, { offset: partitions.length, limit });
    if (!page.partitions?.length) break;
    partitions.push(...page.partitions);
  }
  return { ...first, partitions };
}

/** A run rebuilt from its children and its summary (if it completed): no worker needed. */
async function fromServer(
  client: Client,
  backfillId: string,
  run: BackfillRun,
  spec: BackfillSpec | undefined,
  children: () => Promise<ListedChild[]>,
): Promise<PartitionState[]> {
  const own = new Set(run.runIds);
  const mine = (await children()).filter((c) => c.parentRunId && own.has(c.parentRunId));
  await fetchOutcomes(client, mine);
  const summary = await runSummary(client, backfillId, run);
  const planned = spec ? plannedKeys(spec) : [];
  const rebuilt = partitionsFromChildren(planned, mine);
  // A completed run's summary names its troubled (or, when small, all) partitions with stats.
  const known = new Map((summary?.partitions ?? []).map((p) => [p.key, p]));
  return rebuilt.map((p) => known.get(p.key) ?? p);
}

/**
 * Status of a backfill over all its runs: each partition's latest outcome (a later run's skip never
 * hides an earlier load) and the run it came from, totals over those. A worker answers for the
 * running run; without one, the view is rebuilt from what the server keeps, with a hint.
 */
export async function getStatus(
  client: Client,
  backfillId: string,
  request: ProgressRequest = {},
): Promise<BackfillStatus> {
  const description = await describe(client, backfillId);
  const workflowStatus = description.status.name;
  const spec = (description.memo as { spec?: BackfillSpec } | undefined)?.spec;
  const runs = await listRuns(client, backfillId, {
    runId: description.runId,
    status: workflowStatus,
    startTime: description.startTime,
  });
  const latestRun = runs[runs.length - 1]!;
  let childList: Promise<ListedChild[]> | undefined;
  const children = () => (childList ??= listChildren(client, backfillId));
  let hint: string | undefined;

  const single = runs.length === 1;
  const latest = async (): Promise<LatestRun> => {
    const summary = await runSummary(client, backfillId, latestRun);
    if (summary && (summary.partitions?.length ?? 0) === summary.total)
      return { progress: summary, partitions: summary.partitions ?? [], source: 'worker' };
    try {
      // One run: the worker filters and pages. Several: all partitions, to merge with the others.
      const progress = await queryProgress(client, backfillId, single ? request : undefined);
      return { progress, partitions: progress.partitions ?? [], source: 'worker', paged: single };
    } catch (err) {
      if (!isNoWorker(err)) throw err;
    }
    hint = noWorkerHint(description.taskQueue);
    const partitions = await fromServer(client, backfillId, latestRun, spec, children);
    const progress: BackfillProgress = summary ?? {
      backfillId,
      state: workflowStatus === 'RUNNING' ? 'running' : 'finished',
      maxConcurrency: spec?.maxConcurrency ?? 0,
      generation: latestRun.runIds.length - 1,
      startedAt: latestRun.startTime.getTime(),
      ...tally(partitions),
    };
    return { progress, partitions, source: 'server' };
  };
  const current = await latest();
  const earlier = await Promise.all(
    runs.slice(-EARLIER_RUNS_LIMIT - 1, -1).map(async (run) => {
      const summary = await runSummary(client, backfillId, run);
      const complete = summary && (summary.partitions?.length ?? 0) === summary.total;
      return {
        run,
        partitions: complete
          ? summary.partitions!
          : await fromServer(client, backfillId, run, spec, children),
      };
    }),
  );
  const merged = mergeRuns([...earlier, { run: latestRun, partitions: current.partitions }]);
  const { partitions: _all, matched, ...progress } = current.progress;
  let page: PartitionView[];
  let selected: number;
  if (current.paged) {
    page = merged;
    selected = matched ?? merged.length;
  } else {
    const chosen = request.statuses ? merged.filter((p) => request.statuses!.includes(p.status)) : merged;
    const offset = request.offset ?? 0;
    page = chosen.slice(offset, offset + (request.limit ?? 5000));
    selected = chosen.length;
  }
  return {
    ...progress,
    // With one run and the worker's page, its counts are the run's; else they are over the merge.
    ...(current.paged ? {} : tally(merged)),
    state: workflowStatus === 'RUNNING' ? progress.state : 'finished',
    workflowStatus,
    ...(request.partitions === false ? {} : { partitions: page }),
    ...(request.partitions !== false && page.length < selected ? { matched: selected } : {}),
    runs: runs.length,
    source: current.source,
    ...(hint ? { hint } : {}),
  };
}

export async function isRunning(client: Client, backfillId: string): Promise<boolean> {
  return (await describe(client, backfillId)).status.name === 'RUNNING';
}

export async function cancelPartitions(client: Client, backfillId: string, partitions: string[]) {
  if (!(await isRunning(client, backfillId))) {
    throw new BackfillConflictError(`backfill "${backfillId}" is not running; nothing to cancel`);
  }
  return handleOf(client, backfillId).executeUpdate(messages.cancelPartitionsUpdate, {
    args: [{ partitions }],
  });
}

/** Cancels the whole backfill: running children are cancelled and roll back. */
export async function cancelBackfill(client: Client, backfillId: string) {
  if (!(await isRunning(client, backfillId))) {
    throw new BackfillConflictError(`backfill "${backfillId}" is not running; nothing to cancel`);
  }
  await handleOf(client, backfillId).cancel();
}

/**
 * Retry partitions. While the backfill runs this is an update; once it has closed, a new run of
 * the same backfill id starts with the same spec and re-runs just those partitions (or the failed
 * and cancelled ones), skipping every partition that already has a successful run.
 */
export async function retryPartitions(
  client: Client,
  backfillId: string,
  request: { partitions?: string[]; failed?: boolean },
  taskQueue: string,
): Promise<{ affected: string[]; newRun: boolean }> {
  const description = await describe(client, backfillId);
  if (description.status.name === 'RUNNING') {
    const result = await handleOf(client, backfillId).executeUpdate(messages.retryPartitionsUpdate, {
      args: [request],
    });
    return { ...result, newRun: false };
  }
  const spec = (description.memo as { spec?: BackfillSpec } | undefined)?.spec;
  if (!spec) throw new Error(`backfill "${backfillId}" carries no spec in its memo; start it again instead`);
  const previous = await getStatus(client, backfillId).catch(() => undefined);
  const failed = (previous?.partitions ?? [])
    .filter((p) => p.status === 'failed' || p.status === 'cancelled')
    .map((p) => p.key);
  const chosen = [...new Set([...(request.partitions ?? []), ...(request.failed ? failed : [])])];
  if (chosen.length === 0) return { affected: [], newRun: false };
  const rerunSpec: BackfillSpec = { ...spec, reprocess: 'none' };
  await startBackfill(client, rerunSpec, { taskQueue, backfillId, force: chosen });
  return { affected: chosen, newRun: true };
}

export async function controlUpdate(
  client: Client,
  backfillId: string,
  op: 'pause' | 'resume' | { maxConcurrency: number },
) {
  if (!(await isRunning(client, backfillId)))
    throw new BackfillConflictError(`backfill "${backfillId}" is not running`);
  const handle = handleOf(client, backfillId);
  if (op === 'pause') return handle.executeUpdate(messages.pauseUpdate);
  if (op === 'resume') return handle.executeUpdate(messages.resumeUpdate);
  return handle.executeUpdate(messages.setMaxConcurrencyUpdate, { args: [op] });
}

export interface BackfillListing {
  backfillId: string;
  /** Temporal's status of the latest run. */
  status: string;
  /** Runs of this id (a retry after it closed, or another start, is a new run). */
  runs: number;
  /** When the first run listed started, and when the latest closed. */
  startTime: Date;
  closeTime?: Date;
}

/** Executions read at most to fold runs together (run counts of very old backfills may fall short). */
const LIST_SCAN_LIMIT = 10_000;

/** Recent backfills, one row per backfill id (its runs folded together), newest first. */
export async function listBackfills(client: Client, limit = 50): Promise<BackfillListing[]> {
  const byId = new Map<string, BackfillListing>();
  let scanned = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'backfillWorkflow'` })) {
    if (++scanned > LIST_SCAN_LIMIT) break;
    const seen = byId.get(wf.workflowId);
    const newRun = wf.status.name === 'CONTINUED_AS_NEW' ? 0 : 1;
    if (seen) {
      // Visibility lists newest first: an older execution of a backfill already listed.
      seen.runs += newRun;
      seen.startTime = wf.startTime < seen.startTime ? wf.startTime : seen.startTime;
      continue;
    }
    if (byId.size >= limit) continue;
    byId.set(wf.workflowId, {
      backfillId: wf.workflowId,
      status: wf.status.name,
      runs: Math.max(1, newRun),
      startTime: wf.startTime,
      ...(wf.closeTime ? { closeTime: wf.closeTime } : {}),
    });
  }
  return [...byId.values()];
}
