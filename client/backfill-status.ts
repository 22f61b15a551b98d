/**
 * `status` over every run of a backfill: the running run from a worker's progress query, closed runs
 * from their result summaries, and, when no worker answers, from what the server keeps. Running
 * sharded partitions get their shards live from their children (live-shards.ts).
 */
import type { Client } from '@temporalio/client';
import { normalizeProgress } from '../common/counts';
import type { BackfillSpec } from '../common/spec';
import * as messages from '../workflows/messages';
import type { BackfillProgress, PartitionState, ProgressRequest } from '../workflows/state';
import { describe, handleOf } from './backfill-handle';
import {
  EARLIER_RUNS_LIMIT,
  fetchOutcomes,
  isNoWorker,
  listChildren,
  listRuns,
  noWorkerHint,
  runSummary,
  type ListedChild,
} from './backfill-runs';
import { plannedKeys } from '../common/partitions';
import { addLiveShards } from './live-shards';
import { mergeRuns, partitionsFromChildren, tally, type BackfillRun, type PartitionView } from './run-merge';

export interface BackfillStatus extends BackfillProgress {
  workflowStatus: string;
  /** Each partition's latest outcome over every run of the backfill, and the run it came from. */
  partitions?: PartitionView[];
  /** Runs of this backfill id: a retry after it closed, or another start, is a new run. */
  runs: number;
  /** `server` when no worker answered and the view was rebuilt from what the server keeps. */
  source: 'worker' | 'server';
  /** Set when no worker polls the backfill's task queue. */
  hint?: string;
}

/** How long a progress query may wait for a worker before the server's own record answers. */
const QUERY_DEADLINE_MS = 5000;

/** The latest run's partitions and what the run reports about itself. */
interface LatestRun {
  progress: BackfillProgress;
  partitions: PartitionState[];
  source: 'worker' | 'server';
  /** The worker already applied the request (filter, page): partitions are that page. */
  paged?: boolean;
}

/**
 * The latest run's progress from a worker: as requested, or (`undefined`) every partition, page by
 * page, for merging with earlier runs.
 */
async function queryProgress(
  client: Client,
  backfillId: string,
  request: ProgressRequest | undefined,
): Promise<BackfillProgress> {
  const handle = handleOf(client, backfillId);
  const limit = 5000;
  // A worker still running code from before the rename answers with rowsMerged.
  const ask = async (r: ProgressRequest) => normalizeProgress(await handle.query(messages.progressQuery, r));
  const first = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => ask(request ?? { limit }));
  if (request) return first;
  const partitions = [...(first.partitions ?? [])];
  while (partitions.length < first.total) {
    const page = await ask({ offset: partitions.length, limit });
    if (!page.partitions?.length) break;
    partitions.push(...page.partitions);
  }
  return { ...first, partitions };
}

/** A run rebuilt from its children and its summary (if it completed): no worker needed. */
async function fromServer(
  client: Client,
  backfillId: string,
  run: BackfillRun,
  spec: BackfillSpec | undefined,
  children: () => Promise<ListedChild[]>,
): Promise<PartitionState[]> {
  const own = new Set(run.runIds);
  const mine = (await children()).filter((c) => c.parentRunId && own.has(c.parentRunId));
  await fetchOutcomes(client, mine);
  const summary = await runSummary(client, backfillId, run);
  const planned = spec ? plannedKeys(spec) : [];
  const rebuilt = partitionsFromChildren(planned, mine);
  // A completed run's summary names its troubled (or, when small, all) partitions with stats.
  const known = new Map((summary?.partitions ?? []).map((p) => [p.key, p]));
  return rebuilt.map((p) => known.get(p.key) ?? p);
}

/**
 * Status of a backfill over all its runs: each partition's latest outcome (a later run's skip never
 * hides an earlier load) and the run it came from, totals over those. A worker answers for the
 * running run; without one, the view is rebuilt from what the server keeps, with a hint.
 */
export async function getStatus(
  client: Client,
  backfillId: string,
  request: ProgressRequest = {},
): Promise<BackfillStatus> {
  const description = await describe(client, backfillId);
  const workflowStatus = description.status.name;
  const spec = (description.memo as { spec?: BackfillSpec } | undefined)?.spec;
  const runs = await listRuns(client, backfillId, {
    runId: description.runId,
    status: workflowStatus,
    startTime: description.startTime,
  });
  const latestRun = runs[runs.length - 1]!;
  let childList: Promise<ListedChild[]> | undefined;
  const children = () => (childList ??= listChildren(client, backfillId));
  let hint: string | undefined;

  const single = runs.length === 1;
  const latest = async (): Promise<LatestRun> => {
    const summary = await runSummary(client, backfillId, latestRun);
    if (summary && (summary.partitions?.length ?? 0) === summary.total)
      return { progress: summary, partitions: summary.partitions ?? [], source: 'worker' };
    try {
      // One run: the worker filters and pages. Several: all partitions, to merge with the others.
      const progress = await queryProgress(client, backfillId, single ? request : undefined);
      return { progress, partitions: progress.partitions ?? [], source: 'worker', paged: single };
    } catch (err) {
      if (!isNoWorker(err)) throw err;
    }
    hint = noWorkerHint(description.taskQueue);
    const partitions = await fromServer(client, backfillId, latestRun, spec, children);
    const progress: BackfillProgress = summary ?? {
      backfillId,
      state: workflowStatus === 'RUNNING' ? 'running' : 'finished',
      maxConcurrency: spec?.maxConcurrency ?? 0,
      generation: latestRun.runIds.length - 1,
      startedAt: latestRun.startTime.getTime(),
      ...tally(partitions),
    };
    return { progress, partitions, source: 'server' };
  };
  const current = await latest();
  const earlier = await Promise.all(
    runs.slice(-EARLIER_RUNS_LIMIT - 1, -1).map(async (run) => {
      const summary = await runSummary(client, backfillId, run);
      const complete = summary && (summary.partitions?.length ?? 0) === summary.total;
      return {
        run,
        partitions: complete
          ? summary.partitions!
          : await fromServer(client, backfillId, run, spec, children),
      };
    }),
  );
  const merged = mergeRuns([...earlier, { run: latestRun, partitions: current.partitions }]);
  const { partitions: _all, matched, ...progress } = current.progress;
  let page: PartitionView[];
  let selected: number;
  if (current.paged) {
    page = merged;
    selected = matched ?? merged.length;
  } else {
    const chosen = request.statuses ? merged.filter((p) => request.statuses!.includes(p.status)) : merged;
    const offset = request.offset ?? 0;
    page = chosen.slice(offset, offset + (request.limit ?? 5000));
    selected = chosen.length;
  }
  // After the totals (a running partition adds nothing to them); without a worker no child answers.
  if (request.partitions !== false && current.source === 'worker')
    page = await addLiveShards(client, backfillId, spec, page);
  return {
    ...progress,
    // With one run and the worker's page, its counts are the run's; else they are over the merge.
    ...(current.paged ? {} : tally(merged)),
    state: workflowStatus === 'RUNNING' ? progress.state : 'finished',
    workflowStatus,
    ...(request.partitions === false ? {} : { partitions: page }),
    ...(request.partitions !== false && page.length < selected ? { matched: selected } : {}),
    runs: runs.length,
    source: current.source,
    ...(hint ? { hint } : {}),
  };
}
