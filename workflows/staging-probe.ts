/**
 * `backfill start` and `plan` of a sharded spec ask a worker (its credentials, its network)
 * whether the staging location is reachable and writable, before anything runs: one probeStaging
 * activity (write, read back and delete a small object). Short-lived; it changes nothing else.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ProbeStagingInput } from '../common/types';
import { activityOptions } from './activity-options';

export async function stagingProbeWorkflow(input: ProbeStagingInput): Promise<void> {
  const { probeStaging } = proxyActivities<Activities>({
    ...activityOptions(input.spec, 'probe the staging location'),
    // A location that refuses a write refuses the next one: the CLI says so at once.
    retry: { maximumAttempts: 1 },
    startToCloseTimeout: '2m',
  });
  await probeStaging(input);
}
