/**
 * `backfill check`: the spec's checks against what is already in the target, without loading:
 * one row per partition and check, exit 1 when a check fails. The target is opened read-only with
 * the workers' DuckDB settings (a DuckLake attached the way they attach it), as `query` does.
 */
import type { Command } from 'commander';
import { checksSummary } from '../../common/check-summary';
import { plannedKeys } from '../../common/partitions';
import { loadSpecFile, parseSpec, type BackfillSpec } from '../../common/spec';
import type { CheckOutcome } from '../../common/types';
import { assertSpecChecks, runChecksOnTarget } from '../../loading/checks';
import { TargetTableMissingError } from '../../loading/checks/target';
import { partitionsInTarget } from '../../loading/query';
import type { CliContext } from '../context';
import { EXIT, UsageError } from '../errors';
import { openTargetReadOnly } from '../read-target';
import { formatTable } from '../table';

interface CheckFlags {
  partition?: string[];
  json?: boolean;
}

export interface PartitionChecks {
  partition: string;
  summary: string;
  checks: CheckOutcome[];
}

export function registerCheck(program: Command, ctx: CliContext) {
  program
    .command('check')
    .description("run the spec's checks against what is already in the target (no load); exit 1 if one fails")
    .argument('<spec>', 'spec file')
    .option('--partition <key...>', 'only these partitions (default: every partition of the range with rows)')
    .option('--json', 'print machine-readable output')
    .action(async (file: string, flags: CheckFlags) => {
      const spec = parseSpec(loadSpecFile(file));
      if (!spec.checks.length) throw new UsageError(`${file} declares no checks (spec field checks)`);
      await assertSpecChecks(spec);
      const asked = flags.partition ? partitionsAsked(spec, flags.partition) : undefined;
      const target = await openTargetReadOnly(ctx, spec);
      if (!target) return;
      const results: PartitionChecks[] = [];
      try {
        const keys =
          asked ?? (await withTable(() => partitionsInTarget(target.connection, target.catalog, spec)));
        for (const partition of keys) {
          const checks = await runChecksOnTarget(target.connection, target.catalog, spec, partition);
          results.push({ partition, summary: checksSummary(checks), checks });
        }
      } catch (err) {
        if (!(err instanceof TargetTableMissingError)) throw err;
        ctx.err(`error: ${spec.target.table} does not exist in ${target.describe} yet: nothing was loaded`);
        ctx.exitCode = EXIT.notFound;
        return;
      } finally {
        target.close();
      }
      const failed = results.filter((r) => r.checks.some((c) => c.outcome === 'failed'));
      if (failed.length) ctx.exitCode = EXIT.failed;
      if (flags.json) {
        ctx.out(
          JSON.stringify(
            { target: target.describe, failed: failed.map((r) => r.partition), partitions: results },
            null,
            2,
          ),
        );
        return;
      }
      if (!results.length) {
        ctx.err(`no partition of the range has rows in ${target.describe}: nothing to check`);
        return;
      }
      ctx.out(checkTable(results));
      ctx.out(
        `${results.length} partition(s), ${spec.checks.length} check(s) each: ` +
          (failed.length
            ? `${failed.length} failed (${failed.map((r) => r.partition).join(', ')})`
            : 'none failed'),
      );
    });
}

/** One row per partition and check. */
export function checkTable(results: PartitionChecks[]): string {
  return formatTable(
    [
      { header: 'partition' },
      { header: 'check' },
      { header: 'action' },
      { header: 'outcome' },
      { header: 'violations', align: 'right' },
      { header: 'checked', align: 'right' },
      { header: 'sample' },
    ],
    results.flatMap((r) =>
      r.checks.map((c) => [
        r.partition,
        c.name,
        c.action,
        c.outcome,
        c.violations.toLocaleString('en-US'),
        c.checked.toLocaleString('en-US'),
        c.samples.slice(0, 3).join(', '),
      ]),
    ),
  );
}

/** --partition keys: each must be a partition of the spec's range. */
function partitionsAsked(spec: BackfillSpec, keys: string[]): string[] {
  const planned = new Set(plannedKeys(spec));
  const unknown = keys.filter((k) => !planned.has(k));
  if (unknown.length)
    throw new UsageError(
      `not a partition of the spec's range ${spec.range.from}..${spec.range.to}: ${unknown.join(', ')}`,
    );
  return keys;
}

/** A target file or lake without the table yet holds no partition. */
async function withTable(list: () => Promise<string[]>): Promise<string[]> {
  try {
    return await list();
  } catch (err) {
    if (/does not exist/i.test((err as Error).message)) return [];
    throw err;
  }
}
