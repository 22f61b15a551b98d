/** Names shared by client, worker and workflows: one place for each. Pure code. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'backfill';

/** Child workflow ID: readable in the Temporal UI and deterministic, so history is the checkpoint. */
export const partitionWorkflowId = (backfillId: string, partitionKey: string) =>
  `${backfillId}/${partitionKey}`;

export const BackfillIdAttribute = defineSearchAttributeKey('BackfillId', SearchAttributeType.KEYWORD);
export const PartitionKeyAttribute = defineSearchAttributeKey('PartitionKey', SearchAttributeType.KEYWORD);

/** Custom search attributes the service registers (dev server flags, `backfill setup`). */
export const SEARCH_ATTRIBUTES = [BackfillIdAttribute, PartitionKeyAttribute];

export const BACKFILL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
