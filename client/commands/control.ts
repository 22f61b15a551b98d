/** Live control: cancel, retry, pause, resume, throttle. */
import type { Command } from 'commander';
import { cancelBackfill, cancelPartitions, controlUpdate, retryPartitions } from '../backfills';
import { type CliContext, parseInteger, withClient } from '../context';
import { UsageError } from '../errors';
import { validatedSpec } from './start';

const affected = (keys: string[]) => (keys.length ? keys.join(', ') : 'nothing');

export function registerControl(program: Command, ctx: CliContext) {
  program
    .command('cancel')
    .description('cancel partitions (their loads roll back), or the whole backfill without --partition')
    .argument('<id>', 'backfill id')
    .option('--partition <key...>', 'partitions to cancel')
    .action(async (id: string, flags: { partition?: string[] }) => {
      await withClient(ctx, async (client) => {
        if (!flags.partition?.length) {
          await cancelBackfill(client, id);
          ctx.out(`cancellation requested for backfill ${id}`);
          return;
        }
        const result = await cancelPartitions(client, id, flags.partition);
        ctx.out(`cancelled: ${affected(result.affected)}`);
      });
    });

  program
    .command('retry')
    .description('run partitions again: named ones, or every failed and cancelled one')
    .argument('<id>', 'backfill id')
    .option('--partition <key...>', 'partitions to retry')
    .option('--failed', 'retry every failed and cancelled partition')
    .option(
      '--spec <file>',
      "the new run's spec (a fixed or relaxed check; same target) instead of the closed backfill's",
    )
    .action(async (id: string, flags: { partition?: string[]; failed?: boolean; spec?: string }) => {
      if (!flags.partition?.length && !flags.failed)
        throw new UsageError('retry needs --partition KEY... or --failed');
      const newSpec = flags.spec ? await validatedSpec(flags.spec, {}, ctx.err) : undefined;
      await withClient(ctx, async (client) => {
        const result = await retryPartitions(
          client,
          id,
          {
            ...(flags.partition ? { partitions: flags.partition } : {}),
            ...(flags.failed ? { failed: true } : {}),
          },
          ctx.config.BACKFILL_TASK_QUEUE,
          newSpec,
        );
        ctx.out(
          `retrying: ${affected(result.affected)}${result.newRun ? ' (in a new run of the backfill)' : ''}`,
        );
      });
    });

  for (const verb of ['pause', 'resume'] as const) {
    program
      .command(verb)
      .description(
        verb === 'pause'
          ? 'start no new partitions (running ones finish)'
          : 'start partitions again after pause',
      )
      .argument('<id>', 'backfill id')
      .action(async (id: string) => {
        await withClient(ctx, async (client) => {
          await controlUpdate(client, id, verb);
          ctx.out(`${id}: ${verb === 'pause' ? 'paused' : 'resumed'}`);
        });
      });
  }

  program
    .command('throttle')
    .description('change how many partitions run at once, effective immediately')
    .argument('<id>', 'backfill id')
    .requiredOption('--max-concurrent <n>', 'partitions at once (1-1000)', parseInteger)
    .action(async (id: string, flags: { maxConcurrent: number }) => {
      await withClient(ctx, async (client) => {
        await controlUpdate(client, id, { maxConcurrency: flags.maxConcurrent });
        ctx.out(`${id}: max concurrency ${flags.maxConcurrent}`);
      });
    });
}
