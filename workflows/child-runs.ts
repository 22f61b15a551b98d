/**
 * A child's runs: which closed runs its start may reuse, and how its end maps onto its partitions.
 * The reprocess mode picks the ID reuse policy (Temporal's record of closed runs is the
 * checkpoint); an explicit retry forces a new run. A result gives each partition its outcome and stats;
 * "already started" means a closed run the reprocess mode keeps (skipped); a cancellation cancels
 * the batch; a failure carries the per-partition outcomes in its details when the child got that
 * far, and fails the rest with the cause's one-line description. Pure, unit-tested.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  WorkflowIdReusePolicy,
  isCancellation,
} from '@temporalio/workflow';
import { boundedOutcomes } from '../common/check-summary';
import { normalizeCounts } from '../common/counts';
import { childKey } from '../common/ids';
import type { BackfillSpec } from '../common/spec';
import {
  emptyStats,
  type PartitionFailureDetails,
  type PartitionOutcome,
  type PartitionStats,
  type PartitionWorkflowResult,
} from '../common/types';
import type { PartitionState } from './state';

export const SKIPPED_REASON = 'a closed run exists (reprocess mode skips it)';

export const childKeyOf = (batch: PartitionState[]) => childKey(batch.map((p) => p.key));

const REUSE_POLICY: Record<BackfillSpec['reprocess'], WorkflowIdReusePolicy> = {
  none: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  failed: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
  completed: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
};

/** The ID reuse policy of a batch's child: any forced partition (an explicit retry) runs again. */
export function reusePolicy(batch: PartitionState[], reprocess: BackfillSpec['reprocess']) {
  return batch.some((p) => p.runAgain) ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : REUSE_POLICY[reprocess];
}

/** How a child ended: its result, or what executeChild threw. */
export type ChildSettlement = { result: PartitionWorkflowResult } | { error: unknown };

export function settleBatch(batch: PartitionState[], settled: ChildSettlement): void {
  if ('result' in settled) return applyOutcomes(batch, settled.result.results);
  const err = settled.error;
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
}

/** A child's per-partition outcomes onto the partitions it ran. */
export function applyOutcomes(batch: PartitionState[], results: Record<string, PartitionOutcome>): void {
  for (const p of batch) {
    const outcome = results[p.key];
    if (!outcome) continue;
    if (outcome.status === 'failed') {
      p.status = 'failed';
      p.lastError = outcome.error;
      p.stats = { ...emptyStats(), attempts: outcome.attempts, ...checksOf(outcome) };
    } else {
      p.status = outcome.status;
      // A child's result recorded before the rename says rowsMerged.
      p.stats = { ...normalizeCounts(outcome), ...checksOf(outcome) };
      delete p.lastError;
    }
  }
}

/** A partition's check outcomes, bounded for the parent's state (none without checks). */
const checksOf = (outcome: { checks?: PartitionStats['checks'] }) =>
  outcome.checks?.length ? { checks: boundedOutcomes(outcome.checks) } : {};

/** One line for a failure: the child's cause, with its failure type when it has one. */
export function describeFailure(err: unknown): string {
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
