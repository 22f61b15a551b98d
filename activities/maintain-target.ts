/**
 * maintainTarget: the post-load step after every partition (the template's OPTIMIZE/ZORDER/VACUUM):
 * the destination's own maintenance (for a DuckDB file: an optional rewrite ordered by cluster
 * columns, then statistics and a checkpoint).
 */
import { Context } from '@temporalio/activity';
import type { MaintainTargetInput, MaintenanceReport } from '../common/types';
import type { ActivityDeps } from './deps';

export function createMaintainTarget(deps: ActivityDeps) {
  return async function maintainTarget(input: MaintainTargetInput): Promise<MaintenanceReport> {
    const ctx = Context.current();
    const started = Date.now();
    const beat = setInterval(() => ctx.heartbeat(), 1000);
    try {
      const destination = await deps.destinations.open(input.spec);
      const report = { ...(await destination.maintain(input.spec)), durationMs: 0 };
      report.durationMs = Date.now() - started;
      deps.logger.info({ backfillId: input.spec.name, ...report }, 'target maintenance done');
      return report;
    } finally {
      clearInterval(beat);
    }
  };
}
