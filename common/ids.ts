/** Names shared by client, worker and workflows: one place for each. Pure code. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'backfill';

/** A task queue name the spec may carry (target.commitTaskQueue): the same shape as a backfill id. */
export const TASK_QUEUE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Child workflow ID: readable in the Temporal UI and deterministic, so history is the checkpoint. */
export const partitionWorkflowId = (backfillId: string, partitionKey: string) =>
  `${backfillId}/${partitionKey}`;

/** A child's key: its partition, or `first..last` for a batch of them. */
export const childKey = (partitionKeys: string[]) =>
  partitionKeys.length === 1
    ? partitionKeys[0]!
    : `${partitionKeys[0]}..${partitionKeys[partitionKeys.length - 1]}`;

/** The planned batches: `size` consecutive partitions per child, in order. */
export function batchesOf<T>(items: T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

export const BackfillIdAttribute = defineSearchAttributeKey('BackfillId', SearchAttributeType.KEYWORD);
export const PartitionKeyAttribute = defineSearchAttributeKey('PartitionKey', SearchAttributeType.KEYWORD);

/** Custom search attributes the service registers (dev server flags, `backfill setup`). */
export const SEARCH_ATTRIBUTES = [BackfillIdAttribute, PartitionKeyAttribute];

export const BACKFILL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
