import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  proxyActivities,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  BackfillIdAttribute,
  PartitionKeyAttribute,
  batchesOf,
  childKey,
  partitionWorkflowId,
} from '../common/ids';
import { plannedKeys } from '../common/partitions';
import type { BackfillSpec } from '../common/spec';
import { emptyStats, type PartitionFailureDetails, type PartitionOutcome } from '../common/types';
import type { Activities } from '../activities';
import { activityOptions, bookkeepingRetry } from './activity-options';
import type { MaintenanceOutcome } from './state';
import * as messages from './messages';
import { partitionWorkflow } from './partition';
import { renderDetails } from './details';
import {
  type BackfillProgress,
  type BackfillState,
  type CarriedState,
  decodeState,
  encodeState,
  type BackfillSummary,
  type PartitionState,
  type ProgressRequest,
  countStatuses,
  isTerminal,
  sumStats,
} from './state';

export interface BackfillWorkflowInput {
  backfillId: string;
  spec: BackfillSpec;
  /** Only these partitions (explicit list); default: spec.partitions or the whole range. */
  only?: string[];
  /** Partitions whose closed runs must run again regardless of spec.reprocess. */
  force?: string[];
  /** Set by the client when this backfill ID has run before: the parent then checks children up front. */
  rerun?: boolean;
  /** Carried through continue-as-new. */
  state?: CarriedState;
  /** Drain and continue as new at this many history events (tests; default from the 10,000 budget). */
  historyBudget?: number;
}

/** Events a run may reach before it drains and continues as new (Temporal warns at 10,240). */
const HISTORY_BUDGET = 9000;
/** Upper bound of history events one child adds to the parent (start, started, closed, tasks). */
const EVENTS_PER_CHILD = 6;

/** Up to this many children, a re-run asks up front which ones have finished (the list is one payload). */
const UP_FRONT_CHECK_LIMIT = 10_000;

const SKIPPED_REASON = 'a closed run exists (reprocess mode skips it)';

/** Up to this many partitions, the result lists them all. */
const SUMMARY_PARTITIONS = 1000;

/** ID reuse policy per reprocess mode: Temporal's record of closed runs is the checkpoint. */
const REUSE_POLICY: Record<BackfillSpec['reprocess'], WorkflowIdReusePolicy> = {
  none: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  failed: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
  completed: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
};

/**
 * Backfill parent: plans the partitions and runs one `partitionWorkflow` child per partition under a
 * sliding-window concurrency limit (a new child starts as soon as one ends). Tracks each
 * partition's status and stats, answers `progress`, obeys control messages, and continues as new
 * (after letting in-flight children finish) before its history grows past the budget.
 */
export async function backfillWorkflow(input: BackfillWorkflowInput): Promise<BackfillSummary> {
  const { backfillId, spec } = input;
  const force = new Set(input.force ?? []);
  const planned = plannedKeys(spec, input.only);
  const state: BackfillState = input.state
    ? decodeState(input.state, planned)
    : {
        partitions: planned.map((key) => ({
          key,
          status: 'pending',
          runs: 0,
          ...(force.has(key) ? { force: true } : {}),
        })),
        maxConcurrency: spec.maxConcurrency,
        paused: false,
        generation: 0,
        startedAt: Date.now(),
      };
  const byKey = new Map(state.partitions.map((p) => [p.key, p]));
  const scopes = new Map<string, CancellationScope>();
  let running = 0;
  let draining = false;
  let nextIndex = 0; // partitions before this index are not pending (pending ones re-queued move it back)

  const lookup = (keys: string[] = []): PartitionState[] => {
    const unknown = keys.filter((k) => !byKey.has(k));
    if (unknown.length)
      throw ApplicationFailure.create({
        message: `unknown partition(s): ${unknown.join(', ')}`,
        nonRetryable: true,
      });
    return keys.map((k) => byKey.get(k)!);
  };

  const progress = ({
    partitions = true,
    statuses,
    offset = 0,
    limit = 5000,
  }: ProgressRequest = {}): BackfillProgress => {
    const base: BackfillProgress = {
      backfillId,
      state: draining ? 'draining' : state.paused ? 'paused' : 'running',
      maxConcurrency: state.maxConcurrency,
      generation: state.generation,
      startedAt: state.startedAt,
      total: state.partitions.length,
      counts: countStatuses(state.partitions),
      totals: sumStats(state.partitions),
    };
    if (!partitions) return base;
    const matching = statuses
      ? state.partitions.filter((p) => statuses.includes(p.status))
      : state.partitions;
    const page = matching.slice(offset, offset + limit);
    return {
      ...base,
      partitions: page,
      ...(page.length < matching.length ? { matched: matching.length } : {}),
    };
  };

  // --- control -----------------------------------------------------------------------------
  const cancelPartitions = ({ partitions = [] }: messages.PartitionsInput): messages.ControlResult => {
    const affected: string[] = [];
    for (const p of lookup(partitions)) {
      if (p.status === 'pending') {
        p.status = 'cancelled';
        p.finishedAt = Date.now();
        affected.push(p.key);
      } else if (p.status === 'running') {
        scopes.get(p.key)?.cancel();
        affected.push(p.key);
      }
    }
    return { affected };
  };
  const validateCancel = ({ partitions = [] }: messages.PartitionsInput) => {
    if (!partitions.length) throw new Error('name at least one partition to cancel');
    lookup(partitions);
  };

  const retryPartitions = ({ partitions = [], failed }: messages.RetryInput): messages.ControlResult => {
    const chosen = new Set(lookup(partitions));
    if (failed)
      for (const p of state.partitions) if (p.status === 'failed' || p.status === 'cancelled') chosen.add(p);
    const affected: string[] = [];
    for (const p of chosen) {
      if (!isTerminal(p.status)) continue;
      p.status = 'pending';
      p.force = true;
      delete p.lastError;
      affected.push(p.key);
      nextIndex = Math.min(nextIndex, state.partitions.indexOf(p));
    }
    return { affected };
  };
  const validateRetry = ({ partitions = [], failed }: messages.RetryInput) => {
    if (!partitions.length && !failed) throw new Error('name partitions to retry, or set failed: true');
    const busy = lookup(partitions).filter((p) => !isTerminal(p.status));
    if (busy.length)
      throw new Error(`not finished, cannot retry: ${busy.map((p) => `${p.key} (${p.status})`).join(', ')}`);
  };

  const setPaused = (paused: boolean) => () => {
    state.paused = paused;
    return { affected: [] };
  };
  const setMaxConcurrency = ({ maxConcurrency }: messages.ConcurrencyInput) => {
    state.maxConcurrency = maxConcurrency;
    return { affected: [] };
  };
  const validateConcurrency = ({ maxConcurrency }: messages.ConcurrencyInput) => {
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 1000) {
      throw new Error('maxConcurrency must be an integer from 1 to 1000');
    }
  };
  const guarded =
    <T>(validate: (arg: T) => void, apply: (arg: T) => unknown) =>
    (arg: T) => {
      // Signals cannot be rejected, so a bad one from the UI is ignored rather than failing the run.
      try {
        validate(arg);
      } catch {
        return;
      }
      apply(arg);
    };

  setHandler(messages.progressQuery, (request) => progress(request));
  setHandler(messages.cancelPartitionsUpdate, cancelPartitions, { validator: validateCancel });
  setHandler(messages.retryPartitionsUpdate, retryPartitions, { validator: validateRetry });
  setHandler(messages.pauseUpdate, setPaused(true));
  setHandler(messages.resumeUpdate, setPaused(false));
  setHandler(messages.setMaxConcurrencyUpdate, setMaxConcurrency, { validator: validateConcurrency });
  setHandler(messages.cancelPartitionsSignal, guarded(validateCancel, cancelPartitions));
  setHandler(messages.retryPartitionsSignal, guarded(validateRetry, retryPartitions));
  setHandler(messages.pauseSignal, () => void setPaused(true)());
  setHandler(messages.resumeSignal, () => void setPaused(false)());
  setHandler(messages.setMaxConcurrencySignal, guarded(validateConcurrency, setMaxConcurrency));

  // --- the sliding window ---------------------------------------------------------------------
  const nextPending = (): PartitionState | undefined => {
    while (nextIndex < state.partitions.length && state.partitions[nextIndex]!.status !== 'pending')
      nextIndex++;
    return state.partitions[nextIndex];
  };
  const drainAt = () =>
    input.historyBudget ?? Math.max(1000, HISTORY_BUDGET - EVENTS_PER_CHILD * state.maxConcurrency);
  const mustDrain = () => workflowInfo().historyLength >= drainAt() || workflowInfo().continueAsNewSuggested;

  /** Starts one child for a batch of consecutive pending partitions (one, unless partitionsPerChild > 1). */
  const runChild = async (batch: PartitionState[]) => {
    const scope = new CancellationScope();
    const first = batch[0]!;
    for (const p of batch) {
      scopes.set(p.key, scope);
      p.status = 'running';
      p.runs += 1;
      p.startedAt = Date.now();
    }
    const reuse = batch.some((p) => p.force)
      ? WorkflowIdReusePolicy.ALLOW_DUPLICATE
      : REUSE_POLICY[spec.reprocess];
    for (const p of batch) delete p.force;
    const batchKey = childKeyOf(batch);
    running += 1;
    try {
      const result = await scope.run(() =>
        executeChild(partitionWorkflow, {
          workflowId: partitionWorkflowId(backfillId, batchKey),
          args: [{ backfillId, spec, partitionKeys: batch.map((p) => p.key) }],
          workflowIdReusePolicy: reuse,
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          typedSearchAttributes: [
            { key: BackfillIdAttribute, value: backfillId },
            { key: PartitionKeyAttribute, value: first.key },
          ],
          staticSummary: `partition ${batchKey} of ${backfillId}`,
        }),
      );
      applyOutcomes(batch, result.results);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        for (const p of batch) {
          p.status = 'skipped';
          p.lastError = SKIPPED_REASON;
        }
      } else if (isCancellation(err)) {
        for (const p of batch) p.status = 'cancelled';
      } else {
        const details = failureDetails(err);
        if (details) applyOutcomes(batch, details.results);
        for (const p of batch) {
          if (p.status !== 'running') continue;
          p.status = 'failed';
          p.lastError = describeFailure(err);
        }
      }
    } finally {
      for (const p of batch) {
        p.finishedAt = Date.now();
        scopes.delete(p.key);
      }
      running -= 1;
    }
  };

  /** Takes the next pending partitions for one child, stopping at a gap so a batch stays contiguous. */
  const nextBatch = (): PartitionState[] => {
    const batch: PartitionState[] = [];
    for (let i = nextIndex; i < state.partitions.length && batch.length < spec.partitionsPerChild; i++) {
      const p = state.partitions[i]!;
      if (p.status !== 'pending') {
        if (batch.length) break;
        continue;
      }
      batch.push(p);
    }
    return batch;
  };

  // The UI's live details cost O(partitions) to render, so at most once a second of workflow time.
  let renderedAt = -Infinity;
  const render = (force = false) => {
    if (!force && Date.now() - renderedAt < 1000) return;
    renderedAt = Date.now();
    setCurrentDetails(renderDetails(progress({ statuses: ['running', 'failed'] }), Date.now()));
  };
  /**
   * A re-run learns in one activity which children already have a run its reprocess mode keeps, and
   * marks them skipped without a start attempt each. Patched, so runs recorded before it replay.
   */
  const skipFinishedChildren = async () => {
    const candidates = batchesOf(state.partitions, spec.partitionsPerChild).filter((b) =>
      b.every((p) => p.status === 'pending' && !p.force),
    );
    if (candidates.length === 0 || candidates.length > UP_FRONT_CHECK_LIMIT) return;
    const { findFinishedChildren } = proxyActivities<Activities>(
      activityOptions(spec, `find finished children among ${candidates.length}`, {
        retry: bookkeepingRetry(spec),
      }),
    );
    let finished: number[];
    try {
      finished = await findFinishedChildren({
        backfillId,
        reprocess: spec.reprocess,
        childKeys: candidates.map(childKeyOf),
      });
    } catch (err) {
      if (isCancellation(err)) throw err;
      return; // only a shortcut: each start attempt still asks Temporal
    }
    for (const i of finished)
      for (const p of candidates[i] ?? []) {
        if (p.status !== 'pending') continue; // a control message got there first
        p.status = 'skipped';
        p.lastError = SKIPPED_REASON;
      }
  };
  if (
    input.rerun &&
    !input.state &&
    spec.reprocess !== 'completed' &&
    patched('skip-finished-children-up-front')
  )
    await skipFinishedChildren();

  for (;;) {
    render();
    await condition(
      () =>
        (running < state.maxConcurrency && !state.paused && !draining && nextPending() !== undefined) ||
        (running === 0 && (draining || nextPending() === undefined)),
    );
    if (running === 0 && nextPending() === undefined) break;
    if (running === 0 && draining) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof backfillWorkflow>({
        backfillId,
        spec,
        ...(input.only ? { only: input.only } : {}),
        ...(input.historyBudget ? { historyBudget: input.historyBudget } : {}),
        state: encodeState({ ...state, generation: state.generation + 1 }, planned),
      });
    }
    if (mustDrain()) {
      draining = true;
      continue;
    }
    void runChild(nextBatch());
  }
  const maintenance = await maintain(spec, countStatuses(state.partitions).succeeded > 0);
  await condition(allHandlersFinished);
  render(true);
  // The result must fit in one payload: every partition for small backfills, else the troubled ones.
  const summary =
    state.partitions.length <= SUMMARY_PARTITIONS
      ? progress()
      : progress({ statuses: ['failed', 'cancelled'], limit: SUMMARY_PARTITIONS });
  return { ...summary, state: 'finished', finishedAt: Date.now(), maintenance };
}

const childKeyOf = (batch: PartitionState[]) => childKey(batch.map((p) => p.key));

/** Post-load maintenance once every partition has ended (skipped when nothing was loaded or it is off). */
async function maintain(spec: BackfillSpec, loadedAny: boolean): Promise<MaintenanceOutcome> {
  if (!spec.maintenance.enabled) return { skipped: 'maintenance.enabled is false' };
  if (!loadedAny) return { skipped: 'no partition was loaded' };
  const { maintainTarget } = proxyActivities<Activities>(
    activityOptions(spec, 'maintain target', { retry: bookkeepingRetry(spec) }),
  );
  try {
    return await maintainTarget({ spec });
  } catch (err) {
    // The data is loaded; a failed maintenance is reported, not fatal.
    return { failed: describeFailure(err) };
  }
}

function applyOutcomes(batch: PartitionState[], results: Record<string, PartitionOutcome>) {
  for (const p of batch) {
    const outcome = results[p.key];
    if (!outcome) continue;
    if (outcome.status === 'failed') {
      p.status = 'failed';
      p.lastError = outcome.error;
      p.stats = { ...emptyStats(), attempts: outcome.attempts };
    } else {
      p.status = outcome.status;
      p.stats = outcome;
      delete p.lastError;
    }
  }
}

function describeFailure(err: unknown): string {
  let cause: unknown = err;
  if (cause instanceof ChildWorkflowFailure && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure)
    return cause.type ? `${cause.type}: ${cause.message}` : cause.message;
  return cause instanceof Error ? cause.message : String(cause);
}

function failureDetails(err: unknown): PartitionFailureDetails | undefined {
  if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure) {
    const details = err.cause.details?.[0] as PartitionFailureDetails | undefined;
    return details?.results ? details : undefined;
  }
  return undefined;
}
