/** `backfill start`: validate the spec (flags override fields), start the parent, optionally wait. */
import type { Command } from 'commander';
import { assertSpecChecks } from '../../loading/checks/validate';
import {
  applyOverrides,
  loadSpecFile,
  parseSpecWithWarnings,
  partitionCount,
  MAX_PARTITIONS,
  SpecError,
} from '../../common/spec';
import { uiUrl } from '../../common/config';
import type { Client } from '@temporalio/client';
import type { BackfillSpec } from '../../common/spec';
import { startBackfill } from '../backfills';
import { NoWorkerError } from '../errors';
import { probeStagingOnWorker } from '../staging-probe';
import { type CliContext, parseInteger, withClient } from '../context';
import { watchBackfill } from './watch';
import { retentionWarning } from './admin';

export interface StartFlags {
  id?: string;
  from?: string;
  to?: string;
  granularity?: string;
  maxConcurrency?: number;
  reprocess?: string;
  partition?: string[];
  readMode?: string;
  writeMode?: string;
  set?: string[];
  backwards?: boolean;
  partitionsPerChild?: number;
  wait?: boolean;
  json?: boolean;
}

/** `--set a.b=value`: the value is JSON when it parses (numbers, booleans, arrays), else a string. */
function parseSet(assignments: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0)
      throw new SpecError([`--set ${assignment}: expected path=value, e.g. --set target.table=tx`]);
    const raw = assignment.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // plain string
    }
    out[assignment.slice(0, eq)] = value;
  }
  return out;
}

/** The spec of a file with the flags applied; warnings about old spellings go to `warn`, once. */
export function specFromFlags(file: string, flags: StartFlags, warn: (line: string) => void) {
  const overrides: Record<string, unknown> = {
    ...parseSet(flags.set),
    'range.from': flags.from,
    'range.to': flags.to,
    'range.granularity': flags.granularity,
    maxConcurrency: flags.maxConcurrency,
    reprocess: flags.reprocess,
    partitions: flags.partition,
    readMode: flags.readMode,
    'target.writeMode': flags.writeMode,
    order: flags.backwards ? 'newest' : undefined,
    partitionsPerChild: flags.partitionsPerChild,
  };
  const { spec, warnings } = parseSpecWithWarnings(applyOverrides(loadSpecFile(file), overrides));
  for (const warning of warnings) warn(warning);
  if (partitionCount(spec) > MAX_PARTITIONS) {
    throw new SpecError([
      `range: ${partitionCount(spec)} partitions is more than the limit of ${MAX_PARTITIONS}`,
    ]);
  }
  return spec;
}

/**
 * `specFromFlags`, with the checks validated against DuckDB too (an expression binds as a
 * read-only boolean, a regex compiles): a bad check is refused before anything starts.
 */
export async function validatedSpec(file: string, flags: StartFlags, warn: (line: string) => void) {
  const spec = specFromFlags(file, flags, warn);
  await assertSpecChecks(spec);
  return spec;
}

/** The flags that change the spec (read by `specFromFlags`): `start` and its dry run `plan` share them. */
export function withSpecFlags(command: Command): Command {
  return command
    .argument('<spec>', 'spec file')
    .option('--id <id>', 'backfill id (default: the spec name)')
    .option('--from <partition>', 'override range.from')
    .option('--to <partition>', 'override range.to')
    .option('--granularity <g>', 'override range.granularity: hour, day, month or year')
    .option('--max-concurrency <n>', 'override maxConcurrency', parseInteger)
    .option('--reprocess <mode>', 'none | failed | completed: which partitions with a closed run run again')
    .option('--partition <key...>', 'only these partitions')
    .option('--read-mode <mode>', 'permissive | dropmalformed | failfast')
    .option('--write-mode <mode>', 'merge | overwrite')
    .option('--backwards', 'newest partitions first')
    .option(
      '--partitions-per-child <n>',
      'batch several small partitions into one child workflow',
      parseInteger,
    )
    .option('--set <path=value...>', 'override any spec field, e.g. --set target.table=tx');
}

/** Where `start` and `plan` run: the configured task queue, under --id when given. */
export function runOptions(ctx: CliContext, flags: StartFlags) {
  return { taskQueue: ctx.config.BACKFILL_TASK_QUEUE, ...(flags.id ? { backfillId: flags.id } : {}) };
}

/** A sharded spec's staging location, checked on a worker first; without a worker the backfill checks it itself. */
async function probeStaging(ctx: CliContext, client: Client, spec: BackfillSpec, flags: StartFlags) {
  try {
    await probeStagingOnWorker(client, spec, runOptions(ctx, flags));
  } catch (err) {
    if (!(err instanceof NoWorkerError)) throw err;
    ctx.err(
      `warning: the staging location was not checked (${err.message}); the backfill checks it before any partition starts`,
    );
  }
}

export function registerStart(program: Command, ctx: CliContext) {
  withSpecFlags(program.command('start').description('start a backfill from a spec file (YAML or JSON)'))
    .option('--wait', 'show progress until the backfill ends; exit 1 if a partition failed')
    .option('--json', 'print machine-readable output')
    .action(async (file: string, flags: StartFlags) => {
      const spec = specFromFlags(file, flags, ctx.err);
      // Checks that DuckDB cannot run are refused before anything starts (exit 2).
      await assertSpecChecks(spec);
      await withClient(ctx, async (client) => {
        await probeStaging(ctx, client, spec, flags);
        const handle = await startBackfill(client, spec, runOptions(ctx, flags));
        const warning = await retentionWarning(client, ctx.config.TEMPORAL_NAMESPACE).catch(() => undefined);
        if (warning) ctx.err(warning);
        const link = uiUrl(ctx.config, handle.workflowId);
        if (flags.json && !flags.wait) {
          ctx.out(
            JSON.stringify({ backfillId: handle.workflowId, runId: handle.firstExecutionRunId, ui: link }),
          );
          return;
        }
        ctx.err(`started backfill ${handle.workflowId} (${partitionCount(spec)} partitions)\n  UI: ${link}`);
        if (!flags.json) ctx.out(handle.workflowId);
        if (flags.wait)
          ctx.exitCode = await watchBackfill(ctx, client, handle.workflowId, { json: flags.json });
      });
    });
}
