/** A backfill's parent workflow handle, and `describe` that says "no such backfill" plainly. */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { backfillWorkflow } from '../workflows/backfill';

export class BackfillNotFoundError extends Error {
  override name = 'BackfillNotFoundError';
  constructor(readonly backfillId: string) {
    super(`no backfill with id "${backfillId}" (see: backfill list)`);
  }
}

export function handleOf(client: Client, backfillId: string) {
  return client.workflow.getHandle<typeof backfillWorkflow>(backfillId);
}

export async function describe(client: Client, backfillId: string) {
  try {
    return await handleOf(client, backfillId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new BackfillNotFoundError(backfillId);
    throw err;
  }
}
