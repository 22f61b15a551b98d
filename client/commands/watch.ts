/** `backfill watch` (and `start --wait`): a live progress bar until the backfill ends. */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { getStatus, type BackfillStatus } from '../backfills';
import { type CliContext, withClient } from '../context';
import { EXIT } from '../errors';
import { partitionTable, progressBar, sourceNotes, totalsLine } from '../render';

export const allSucceeded = (s: BackfillStatus) =>
  s.workflowStatus === 'COMPLETED' && s.counts.failed === 0 && s.counts.cancelled === 0;

export async function watchBackfill(
  ctx: CliContext,
  client: Client,
  backfillId: string,
  options: { json?: boolean; intervalMs?: number } = {},
): Promise<number> {
  const bar = options.json ? undefined : progressBar();
  let status: BackfillStatus;
  try {
    for (;;) {
      status = await getStatus(client, backfillId, { partitions: false });
      bar?.update(status);
      if (status.workflowStatus !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 1000));
    }
  } finally {
    bar?.stop();
  }
  const final = await getStatus(client, backfillId);
  if (options.json) {
    ctx.out(JSON.stringify(final));
  } else {
    const trouble = (final.partitions ?? []).filter((p) => p.status === 'failed' || p.status === 'cancelled');
    if (trouble.length) ctx.out(partitionTable(trouble, { runs: final.runs > 1 }));
    ctx.out(totalsLine(final));
    for (const line of sourceNotes(final)) ctx.err(line);
  }
  return allSucceeded(final) ? EXIT.ok : EXIT.failed;
}

export function registerWatch(program: Command, ctx: CliContext) {
  program
    .command('watch')
    .description('show a live progress bar until the backfill ends; exit 1 unless every partition succeeded')
    .argument('<id>', 'backfill id')
    .option('--json', 'print the final status as JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withClient(ctx, async (client) => {
        ctx.exitCode = await watchBackfill(ctx, client, id, flags);
      });
    });
}
