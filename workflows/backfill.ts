import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BackfillIdAttribute, PartitionKeyAttribute, partitionWorkflowId } from '../common/ids';
import { plannedKeys } from '../common/partitions';
import type { BackfillSpec } from '../common/spec';
import { activityOptions, bookkeepingRetry, onTargetOwner } from './activity-options';
import { BackfillController } from './backfill-controller';
import { type ChildSettlement, childKeyOf, describeFailure } from './child-runs';
import { firedChecks, renderDetails } from './details';
import { overRuns, type EarlierOutcomes } from './earlier-runs';
import * as messages from './messages';
import { partitionWorkflow } from './partition';
import {
  type BackfillSummary,
  type CarriedState,
  type MaintenanceOutcome,
  type PartitionState,
  countStatuses,
} from './state';

export interface BackfillWorkflowInput {
  backfillId: string;
  spec: BackfillSpec;
  /** Only these partitions (explicit list); default: spec.partitions or the whole range. */
  only?: string[];
  /** Partitions whose closed runs must run again regardless of spec.reprocess (recorded name: `runAgain` inside). */
  force?: string[];
  /** Set by the client when this backfill ID has run before: the parent then checks children up front. */
  rerun?: boolean;
  /** Set by the client on a new run of a backfill id that has run before: what those runs did (for the details). */
  earlier?: EarlierOutcomes;
  /** Carried through continue-as-new. */
  state?: CarriedState;
  /** Drain and continue as new at this many history events (tests; default from the 10,000 budget). */
  historyBudget?: number;
}

/**
 * Backfill parent: plans the partitions and runs one `partitionWorkflow` child per partition under a
 * sliding-window concurrency limit (a new child starts as soon as one ends). Tracks each
 * partition's status and stats, answers `progress`, obeys control messages, and continues as new
 * (after letting in-flight children finish) before its history grows past the budget. The state and
 * the rules live in `BackfillController`; this function registers the handlers, runs the loop and
 * makes the Temporal calls.
 */
export async function backfillWorkflow(input: BackfillWorkflowInput): Promise<BackfillSummary> {
  const { backfillId, spec } = input;
  const planned = plannedKeys(spec, input.only);
  const c = new BackfillController({
    backfillId,
    spec,
    planned,
    ...(input.force ? { runAgain: input.force } : {}),
    ...(input.state ? { carried: input.state } : {}),
    ...(input.historyBudget ? { historyBudget: input.historyBudget } : {}),
    logger: log,
  });
  registerHandlers(c);
  // The details show every run's latest outcomes. Patched, so runs recorded before it replay.
  const earlier = input.earlier && patched('details-over-runs') ? input.earlier : undefined;
  await probeStagingFirst(input);

  const runChild = async (batch: PartitionState[]) => {
    const scope = new CancellationScope();
    const { key, reuse } = c.startBatch(batch, scope);
    let settled: ChildSettlement;
    try {
      settled = {
        result: await scope.run(() =>
          executeChild(partitionWorkflow, {
            workflowId: partitionWorkflowId(backfillId, key),
            args: [{ backfillId, spec, partitionKeys: batch.map((p) => p.key) }],
            workflowIdReusePolicy: reuse,
            cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
            parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            typedSearchAttributes: [
              { key: BackfillIdAttribute, value: backfillId },
              { key: PartitionKeyAttribute, value: batch[0]!.key },
            ],
            staticSummary: `partition ${key} of ${backfillId}`,
          }),
        ),
      };
    } catch (error) {
      settled = { error };
    }
    c.finishBatch(batch, settled);
  };
  // Details are metadata, not commands: what they say may change without a patch.
  const render = (force = false, finished = false) => {
    if (c.renderDue(force)) {
      const progress = c.progress({ statuses: ['running', 'failed'] });
      setCurrentDetails(
        renderDetails(
          finished ? { ...progress, state: 'finished' } : progress,
          Date.now(),
          earlier && overRuns(c.state.partitions, planned, earlier),
          (spec.checks?.length ?? 0) > 0 ? firedChecks(c.state.partitions) : undefined,
        ),
      );
    }
  };
  const mustDrain = () =>
    workflowInfo().historyLength >= c.drainAt() || workflowInfo().continueAsNewSuggested;

  // A re-run learns in one activity which children already have a run its reprocess mode keeps.
  // Patched, so runs recorded before it replay.
  if (
    input.rerun &&
    !input.state &&
    spec.reprocess !== 'completed' &&
    patched('skip-finished-children-up-front')
  )
    await skipFinishedChildren(c);

  for (;;) {
    render();
    await condition(() => c.canStart() || c.idle());
    if (c.done()) break;
    if (c.running === 0 && c.draining) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof backfillWorkflow>({
        backfillId,
        spec,
        ...(input.only ? { only: input.only } : {}),
        ...(input.historyBudget ? { historyBudget: input.historyBudget } : {}),
        ...(input.earlier ? { earlier: input.earlier } : {}),
        // Check outcomes survive continue-as-new. Patched, so runs recorded before it replay.
        state: c.carriedState((spec.checks?.length ?? 0) > 0 && patched('carry-check-outcomes')),
      });
    }
    if (mustDrain()) {
      c.draining = true;
      continue;
    }
    void runChild(c.nextBatch());
  }
  const maintenance = await maintain(spec, countStatuses(c.state.partitions).succeeded > 0);
  await condition(allHandlersFinished);
  render(true, true);
  return c.summary(maintenance);
}

/** Updates (validated, acknowledged: the CLI) and signals of the same names (the UI's "Send Signal"). */
function registerHandlers(c: BackfillController) {
  const validateCancel = (arg: messages.PartitionsInput) => c.validateCancel(arg);
  const cancel = (arg: messages.PartitionsInput) => c.cancelPartitions(arg);
  const validateRetry = (arg: messages.RetryInput) => c.validateRetry(arg);
  const retry = (arg: messages.RetryInput) => c.retryPartitions(arg);
  const validateConcurrency = (arg: messages.ConcurrencyInput) => c.validateConcurrency(arg);
  const throttle = (arg: messages.ConcurrencyInput) => c.setMaxConcurrency(arg);
  setHandler(messages.progressQuery, (request) => c.progress(request));
  setHandler(messages.cancelPartitionsUpdate, cancel, { validator: validateCancel });
  setHandler(messages.retryPartitionsUpdate, retry, { validator: validateRetry });
  setHandler(messages.pauseUpdate, () => c.setPaused(true));
  setHandler(messages.resumeUpdate, () => c.setPaused(false));
  setHandler(messages.setMaxConcurrencyUpdate, throttle, { validator: validateConcurrency });
  setHandler(messages.cancelPartitionsSignal, c.signalHandler('cancelPartitions', validateCancel, cancel));
  setHandler(messages.retryPartitionsSignal, c.signalHandler('retryPartitions', validateRetry, retry));
  setHandler(messages.pauseSignal, () => void c.setPaused(true));
  setHandler(messages.resumeSignal, () => void c.setPaused(false));
  setHandler(
    messages.setMaxConcurrencySignal,
    c.signalHandler('setMaxConcurrency', validateConcurrency, throttle),
  );
}

/** Marks the children that already have a run the reprocess mode keeps skipped, without a start attempt each. */
async function skipFinishedChildren(c: BackfillController) {
  const candidates = c.skipCandidates();
  if (candidates.length === 0) return;
  const { findFinishedChildren } = proxyActivities<Activities>(
    activityOptions(c.spec, `find finished children among ${candidates.length}`, {
      retry: bookkeepingRetry(c.spec),
    }),
  );
  let finished: number[];
  try {
    finished = await findFinishedChildren({
      backfillId: c.backfillId,
      reprocess: c.spec.reprocess,
      childKeys: candidates.map(childKeyOf),
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    return; // only a shortcut: each start attempt still asks Temporal
  }
  c.markFinished(candidates, finished);
}

/** Post-load maintenance once every partition has ended (skipped when nothing was loaded or it is off). */
async function maintain(spec: BackfillSpec, loadedAny: boolean): Promise<MaintenanceOutcome> {
  if (!spec.maintenance.enabled) return { skipped: 'maintenance.enabled is false' };
  if (!loadedAny) return { skipped: 'no partition was loaded' };
  const { maintainTarget } = proxyActivities<Activities>(
    activityOptions(spec, 'maintain target', { retry: bookkeepingRetry(spec), ...onTargetOwner(spec) }),
  );
  try {
    return await maintainTarget({ spec });
  } catch (err) {
    // The data is loaded; a failed maintenance is reported, not fatal.
    return { failed: describeFailure(err) };
  }
}

/**
 * A sharded spec's staging location is checked before any partition starts (patch
 * `staging-probe`), on a worker: unreachable or not writable fails the backfill with one line,
 * before anything is read or written. Only the first run checks; a run continued as new did already.
 */
async function probeStagingFirst(input: BackfillWorkflowInput): Promise<void> {
  const { spec } = input;
  if (!spec.source.shards || input.state || !patched('staging-probe')) return;
  const { probeStaging } = proxyActivities<Activities>({
    ...activityOptions(spec, 'probe the staging location'),
    retry: bookkeepingRetry(spec),
  });
  try {
    await probeStaging({ spec });
  } catch (err) {
    if (isCancellation(err)) throw err;
    let cause: unknown = err;
    while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
    throw ApplicationFailure.create({
      type: 'ConfigurationError',
      message: cause instanceof Error ? cause.message : String(cause),
      nonRetryable: true,
    });
  }
}
