/**
 * Client-side operations on backfills, shared by the CLI, the demo and the tests. The spec travels
 * in the workflow input and in the memo (it never holds credentials: those come from the AWS chain).
 */
import { lastRunStatus } from '../common/last-run';
import { mapLimit } from '../common/map-limit';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  type Client,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { BackfillIdAttribute } from '../common/ids';
import { plannedKeys } from '../common/partitions';
import { SpecError, type BackfillSpec } from '../common/spec';
import type { backfillWorkflow, BackfillWorkflowInput } from '../workflows/backfill';
import { encodeEarlier, type EarlierOutcomes } from '../workflows/earlier-runs';
import * as messages from '../workflows/messages';
import { describe, handleOf } from './backfill-handle';
import { getStatus, type BackfillStatus } from './backfill-status';

export { BackfillNotFoundError } from './backfill-handle';
export { getStatus, type BackfillStatus } from './backfill-status';

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
  /** The status over earlier runs, when the caller already read it (a retry). */
  previous?: BackfillStatus;
}

/** Every partition of a status, unpaged. */
const ALL_PARTITIONS = { limit: Number.MAX_SAFE_INTEGER };

/**
 * What earlier runs of this id did, for a new run's UI details. Best effort: a view that cannot
 * be read only costs the details their earlier runs.
 */
async function earlierOutcomes(
  client: Client,
  backfillId: string,
  spec: BackfillSpec,
  options: StartOptions,
): Promise<EarlierOutcomes | undefined> {
  const previous =
    options.previous ?? (await getStatus(client, backfillId, ALL_PARTITIONS).catch(() => undefined));
  if (!previous?.partitions) return undefined;
  return encodeEarlier(previous.partitions, plannedKeys(spec), previous.runs, options.force);
}

export async function startBackfill(
  client: Client,
  spec: BackfillSpec,
  options: StartOptions,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof backfillWorkflow>> {
  const backfillId = options.backfillId ?? spec.name;
  // A first run has no finished children to look for; a re-run has them checked up front.
  const last = await lastRunStatus(client, backfillId);
  const rerun = last !== 'none';
  const earlier =
    rerun && last !== 'RUNNING' ? await earlierOutcomes(client, backfillId, spec, options) : undefined;
  const input: BackfillWorkflowInput = {
    backfillId,
    spec,
    ...(rerun ? { rerun } : {}),
    ...(earlier ? { earlier } : {}),
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
  /** The new run's spec (`retry --spec`: a fixed or relaxed check), instead of the one in the memo. */
  newSpec?: BackfillSpec,
): Promise<{ affected: string[]; newRun: boolean }> {
  const description = await describe(client, backfillId);
  if (newSpec && description.status.name === 'RUNNING')
    throw new BackfillConflictError(
      `backfill "${backfillId}" is running with its own spec: --spec applies to a new run, once it has closed (wait for it, or cancel it)`,
    );
  if (description.status.name === 'RUNNING') {
    const result = await handleOf(client, backfillId).executeUpdate(messages.retryPartitionsUpdate, {
      args: [request],
    });
    return { ...result, newRun: false };
  }
  const recorded = (description.memo as { spec?: BackfillSpec } | undefined)?.spec;
  const spec = newSpec ?? recorded;
  if (!spec) throw new Error(`backfill "${backfillId}" carries no spec in its memo; start it again instead`);
  if (newSpec && recorded && !sameTarget(newSpec, recorded))
    throw new SpecError([
      `--spec loads another target than backfill "${backfillId}" (${describeTarget(newSpec)}, not ${describeTarget(recorded)}): start a new backfill for it`,
    ]);
  const previous = await getStatus(client, backfillId, ALL_PARTITIONS).catch(() => undefined);
  const failed = (previous?.partitions ?? [])
    .filter((p) => p.status === 'failed' || p.status === 'cancelled')
    .map((p) => p.key);
  const chosen = [...new Set([...(request.partitions ?? []), ...(request.failed ? failed : [])])];
  if (chosen.length === 0) return { affected: [], newRun: false };
  const rerunSpec: BackfillSpec = { ...spec, reprocess: 'none' };
  await startBackfill(client, rerunSpec, {
    taskQueue,
    backfillId,
    force: chosen,
    ...(previous ? { previous } : {}),
  });
  return { affected: chosen, newRun: true };
}

/** Where a spec loads: its target's location and table. */
const describeTarget = (spec: BackfillSpec) =>
  `${spec.target.type === 'duckdb' ? spec.target.path : spec.target.dataPath} table ${spec.target.table}`;
const sameTarget = (a: BackfillSpec, b: BackfillSpec) => describeTarget(a) === describeTarget(b);

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
  /** Over every run: partitions, each one's latest outcome counted, and totals over those (absent when unreadable). */
  total?: number;
  counts?: BackfillStatus['counts'];
  totals?: BackfillStatus['totals'];
}

/** Backfills whose merged status `list` reads at once (each is a few cheap reads). */
const LIST_STATUS_CONCURRENCY = 4;

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
  const rows = [...byId.values()];
  // Totals over runs for the rows shown only: the work is bounded by the limit, not by history.
  await mapLimit(rows, LIST_STATUS_CONCURRENCY, async (row) => {
    const status = await getStatus(client, row.backfillId, { partitions: false }).catch(() => undefined);
    if (!status) return;
    row.total = status.total;
    row.counts = status.counts;
    row.totals = status.totals;
  });
  return rows;
}
