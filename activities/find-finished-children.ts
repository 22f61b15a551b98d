/**
 * findFinishedChildren: on a re-run, asks Temporal for the last run of each planned child ID and
 * names those the reprocess mode skips, so the parent marks them skipped at once instead of
 * trying to start each one (a rejected start still costs a workflow task round trip apiece, under
 * the concurrency limit). Only a shortcut: a child it misses is still refused by its ID-reuse policy.
 */
import { Context } from '@temporalio/activity';
import { partitionWorkflowId } from '../common/ids';
import { mapLimit } from '../common/map-limit';
import { wouldRun } from '../common/reprocess';
import type { FindFinishedChildrenInput } from '../common/types';
import { lastRunStatus } from '../common/last-run';

/** Describe calls in flight at once. */
const DESCRIBE_CONCURRENCY = 16;

export function createFindFinishedChildren() {
  return async function findFinishedChildren(input: FindFinishedChildrenInput): Promise<number[]> {
    const ctx = Context.current();
    let described = 0;
    const skip = await mapLimit(input.childKeys, DESCRIBE_CONCURRENCY, async (childKey) => {
      const status = await lastRunStatus(ctx.client, partitionWorkflowId(input.backfillId, childKey));
      ctx.heartbeat(++described);
      return !wouldRun(input.reprocess, status);
    });
    return input.childKeys.flatMap((_, i) => (skip[i] ? [i] : []));
  };
}
