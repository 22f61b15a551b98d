/**
 * The spec's target opened read-only for `query` and `check`, with the workers' DuckDB settings
 * (one activity's share of the threads). A target that cannot be read now is one line and the
 * exit code that says why (missing 3, locked by a worker 5, unreadable 1).
 */
import { duckdbThreads } from '../common/config';
import type { BackfillSpec } from '../common/spec';
import { openReadOnly, TargetUnavailableError, type ReadOnlyTarget } from '../loading/query';
import type { CliContext } from './context';
import { EXIT } from './errors';

export async function openTargetReadOnly(
  ctx: CliContext,
  spec: BackfillSpec,
): Promise<ReadOnlyTarget | undefined> {
  const config = ctx.config;
  try {
    return await openReadOnly(spec, {
      memoryLimit: config.BACKFILL_DUCKDB_MEMORY_LIMIT,
      threads: duckdbThreads({ ...config, BACKFILL_MAX_CONCURRENT_ACTIVITIES: 1 }),
      ...(config.BACKFILL_DUCKDB_TEMP_DIR ? { tempDirectory: config.BACKFILL_DUCKDB_TEMP_DIR } : {}),
    });
  } catch (err) {
    if (!(err instanceof TargetUnavailableError)) throw err;
    ctx.err(`error: ${err.message}`);
    ctx.exitCode = { missing: EXIT.notFound, locked: EXIT.conflict, unreadable: EXIT.failed }[err.reason];
    return undefined;
  }
}
