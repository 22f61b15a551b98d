import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  proxyActivities,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { durationMs } from '../common/duration';
import { NON_RETRYABLE_FAILURE_TYPES } from '../common/failures';
import type {
  PartitionFailureDetails,
  PartitionWorkflowInput,
  PartitionWorkflowResult,
} from '../common/types';

/**
 * Loads one partition: runs the loadPartition activity with the spec's retry policy (exponential
 * backoff; configuration and data-contract errors are not retried) and a heartbeat timeout, so a
 * dead worker is noticed in seconds. Cancelling this workflow cancels the activity and waits until
 * it has rolled back, so a cancelled partition never leaves rows behind.
 */
export async function partitionWorkflow(input: PartitionWorkflowInput): Promise<PartitionWorkflowResult> {
  const { spec } = input;
  const { loadPartition } = proxyActivities<Activities>({
    startToCloseTimeout: durationMs(spec.partitionTimeout),
    heartbeatTimeout: durationMs(spec.heartbeatTimeout),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: `load ${input.partitionKey}`,
    retry: {
      maximumAttempts: spec.retry.maximumAttempts,
      initialInterval: durationMs(spec.retry.initialInterval),
      backoffCoefficient: spec.retry.backoffCoefficient,
      maximumInterval: durationMs(spec.retry.maximumInterval),
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
    },
  });
  try {
    return await loadPartition(input);
  } catch (err) {
    if (isCancellation(err)) throw err;
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      const cause = err.cause;
      const [detail] = cause.details ?? [];
      const attempts = (detail as { attempt?: number } | undefined)?.attempt ?? spec.retry.maximumAttempts;
      const details: PartitionFailureDetails = { attempts, failureType: cause.type ?? undefined };
      // The child itself never retries: the activity already did, per the spec's policy.
      throw ApplicationFailure.create({
        message: cause.message,
        type: cause.type ?? 'PartitionFailed',
        nonRetryable: true,
        details: [details],
      });
    }
    throw err;
  }
}
