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
  isCancellation,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { BackfillIdAttribute, PartitionKeyAttribute, partitionWorkflowId } from '../common/ids';
import { planPartitionKeys } from '../common/partitions';
import type { BackfillSpec } from '../common/spec';
import { emptyStats, type PartitionFailureDetails } from '../common/types';
import * as messages from './messages';
import { partitionWorkflow } from './partition';
import { renderDetails } from './details';
import {
  type BackfillProgress,
  type BackfillState,
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
  /** Carried through continue-as-new. */
  state?: BackfillState;
}

/** Events a run may reach before it drains and continues as new (Temporal warns at 10,240). */
const HISTORY_BUDGET = 9000;
/** Upper bound of history events one child adds to the parent (start, started, closed, tasks). */
const EVENTS_PER_CHILD = 6;

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
  const state: BackfillState = input.state ?? {
    partitions: (
      input.only ??
      spec.partitions ??
      planPartitionKeys(spec.range.from, spec.range.to, spec.range.granularity)
    ).map((key) => ({ key, status: 'pending', runs: 0, ...(force.has(key) ? { force: true } : {}) })),
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

  const progress = ({ partitions = true, statuses }: ProgressRequest = {}): BackfillProgress => ({
    backfillId,
    state: draining ? 'draining' : state.paused ? 'paused' : 'running',
    maxConcurrency: state.maxConcurrency,
    generation: state.generation,
    startedAt: state.startedAt,
    total: state.partitions.length,
    counts: countStatuses(state.partitions),
    totals: sumStats(state.partitions),
    ...(partitions
      ? {
          partitions: statuses
            ? state.partitions.filter((p) => statuses.includes(p.status))
            : state.partitions,
        }
      : {}),
  });

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
  const drainAt = () => Math.max(1000, HISTORY_BUDGET - EVENTS_PER_CHILD * state.maxConcurrency);
  const mustDrain = () => workflowInfo().historyLength >= drainAt() || workflowInfo().continueAsNewSuggested;

  const runPartition = async (p: PartitionState) => {
    const scope = new CancellationScope();
    scopes.set(p.key, scope);
    const reuse = p.force ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : REUSE_POLICY[spec.reprocess];
    p.status = 'running';
    p.runs += 1;
    p.startedAt = Date.now();
    delete p.force;
    running += 1;
    try {
      const result = await scope.run(() =>
        executeChild(partitionWorkflow, {
          workflowId: partitionWorkflowId(backfillId, p.key),
          args: [{ backfillId, partitionKey: p.key, spec }],
          workflowIdReusePolicy: reuse,
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          typedSearchAttributes: [
            { key: BackfillIdAttribute, value: backfillId },
            { key: PartitionKeyAttribute, value: p.key },
          ],
          staticSummary: `partition ${p.key} of ${backfillId}`,
        }),
      );
      p.status = result.status;
      p.stats = result;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        p.status = 'skipped';
        p.lastError = 'a closed run exists (reprocess mode skips it)';
      } else if (isCancellation(err)) {
        p.status = 'cancelled';
      } else {
        p.status = 'failed';
        p.lastError = describeFailure(err);
        const details = failureDetails(err);
        if (details) p.stats = { ...(p.stats ?? emptyStats()), attempts: details.attempts };
      }
    } finally {
      p.finishedAt = Date.now();
      running -= 1;
      scopes.delete(p.key);
    }
  };

  const render = () =>
    setCurrentDetails(renderDetails(progress({ statuses: ['running', 'failed'] }), Date.now()));
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
        state: { ...state, generation: state.generation + 1 },
      });
    }
    if (mustDrain()) {
      draining = true;
      continue;
    }
    const p = nextPending()!;
    void runPartition(p);
  }
  await condition(allHandlersFinished);
  render();
  return { ...progress(), state: 'finished', finishedAt: Date.now() };
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
    return err.cause.details?.[0] as PartitionFailureDetails | undefined;
  }
  return undefined;
}
