/**
 * Activity factory: the worker passes real dependencies (staging engine, destinations, sources,
 * logger, metrics); workflows see only the types (`import type`).
 */
import type { ActivityDeps } from './deps';
import { createFindEmptyPartitions } from './find-empty-partitions';
import { createFindFinishedChildren } from './find-finished-children';
import { createListPartitions } from './list-partitions';
import { createLoadBatch } from './load-batch';
import { createLoadPartition } from './load-partition';
import { createLoadSmallPartitions } from './load-small-partitions';
import { createMaintainTarget } from './maintain-target';
import { createShardActivities } from './shards';

export function createActivities(deps: ActivityDeps) {
  return {
    findEmptyPartitions: createFindEmptyPartitions(deps),
    findFinishedChildren: createFindFinishedChildren(),
    listPartitions: createListPartitions(deps),
    loadBatch: createLoadBatch(deps),
    loadPartition: createLoadPartition(deps),
    loadSmallPartitions: createLoadSmallPartitions(deps),
    maintainTarget: createMaintainTarget(deps),
    ...createShardActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps';
