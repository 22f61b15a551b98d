/**
 * A deliberately incompatible change (an extra timer before the parent's first command), used to
 * prove the replay suite catches a command-order change made without a patch.
 */
import { sleep } from '@temporalio/workflow';
import { backfillWorkflow as original, type BackfillWorkflowInput } from '../../workflows/backfill';

export { partitionWorkflow } from '../../workflows/partition';

export async function backfillWorkflow(input: BackfillWorkflowInput) {
  await sleep(1);
  return original(input);
}
