/** `backfill plan`: a dry run of `start` with the same spec and flags. */
import type { Command } from 'commander';
import { assertSpecChecks } from '../../loading/checks/validate';
import { planBackfill } from '../plan';
import { probeStagingOnWorker } from '../staging-probe';
import { type CliContext, withClient } from '../context';
import { runOptions, specFromFlags, withSpecFlags, type StartFlags } from './start';
import { formatTable } from '../table';

export function registerPlan(program: Command, ctx: CliContext) {
  withSpecFlags(
    program
      .command('plan')
      .description(
        'dry run: partitions with their files and bytes (listed on a worker), and which the reprocess mode would skip',
      ),
  )
    .option('--json', 'print machine-readable output')
    .action(async (file: string, flags: StartFlags) => {
      const spec = specFromFlags(file, flags, ctx.err);
      // Checks that DuckDB cannot run are refused before anything starts (exit 2).
      await assertSpecChecks(spec);
      await withClient(ctx, async (client) => {
        await probeStagingOnWorker(client, spec, runOptions(ctx, flags));
        const plan = await planBackfill(client, spec, runOptions(ctx, flags));
        const toRun = plan.filter((p) => p.action === 'run');
        if (flags.json) {
          ctx.out(
            JSON.stringify(
              { backfillId: flags.id ?? spec.name, reprocess: spec.reprocess, partitions: plan },
              null,
              2,
            ),
          );
          return;
        }
        // A sharded spec shows each partition's shards (0: it loads unsharded, below minPartitionBytes).
        const sharded = spec.source.shards !== undefined;
        ctx.out(
          formatTable(
            [
              { header: 'partition' },
              { header: 'files', align: 'right' },
              { header: 'bytes', align: 'right' },
              ...(sharded ? [{ header: 'shards', align: 'right' as const }] : []),
              { header: 'last run' },
              { header: 'action' },
            ],
            plan.map((p) => [
              p.key,
              p.files,
              p.bytes.toLocaleString('en-US'),
              ...(sharded ? [p.shards] : []),
              p.lastRun.toLowerCase(),
              p.action,
            ]),
          ),
        );
        ctx.out(
          `${plan.length} partitions: ${toRun.length} would run, ${plan.length - toRun.length} would be skipped (reprocess ${spec.reprocess}); ` +
            `${toRun.reduce((s, p) => s + p.files, 0)} files, ${toRun.reduce((s, p) => s + p.bytes, 0).toLocaleString('en-US')} bytes to load`,
        );
      });
    });
}
