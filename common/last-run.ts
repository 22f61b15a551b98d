/** The last run recorded under a child workflow ID: Temporal's record is the checkpoint. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

/** Temporal's status name of the latest run under this ID (describe is strongly consistent), or 'none'. */
export async function lastRunStatus(client: Client, workflowId: string): Promise<string> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'none';
    throw err;
  }
}
