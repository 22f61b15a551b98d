/** `backfill status` and `backfill list`. */
import type { Command } from 'commander';
import type { PartitionStatus } from '../../common/types';
import { getStatus, listBackfills } from '../backfills';
import { type CliContext, parseInteger, withClient } from '../context';
import { partitionTable, sourceNotes, totalsLine } from '../render';
import { formatTable } from '../table';

const int = (n: number) => n.toLocaleString('en-US');

export function registerStatus(program: Command, ctx: CliContext) {
  program
    .command('status')
    .description('partition table and totals of a backfill')
    .argument('<id>', 'backfill id')
    .option('--status <status...>', 'only partitions with these statuses')
    .option('--json', 'print machine-readable output')
    .action(async (id: string, flags: { json?: boolean; status?: PartitionStatus[] }) => {
      await withClient(ctx, async (client) => {
        const status = await getStatus(client, id, flags.status ? { statuses: flags.status } : {});
        if (flags.json) {
          ctx.out(JSON.stringify(status, null, 2));
          return;
        }
        ctx.out(partitionTable(status.partitions ?? [], { runs: status.runs > 1 }));
        ctx.out(totalsLine(status));
        for (const line of sourceNotes(status)) ctx.err(line);
      });
    });

  program
    .command('list')
    .description('recent backfills')
    .option('--limit <n>', 'how many', parseInteger, 50)
    .option('--json', 'print machine-readable output')
    .action(async (flags: { limit: number; json?: boolean }) => {
      await withClient(ctx, async (client) => {
        const rows = await listBackfills(client, flags.limit);
        if (flags.json) {
          ctx.out(JSON.stringify(rows, null, 2));
          return;
        }
        const table = formatTable(
          [
            { header: 'backfill' },
            { header: 'status' },
            { header: 'runs', align: 'right' },
            { header: 'partitions', align: 'right' },
            { header: 'succeeded', align: 'right' },
            { header: 'failed', align: 'right' },
            { header: 'rows read', align: 'right' },
            { header: 'accepted', align: 'right' },
            { header: 'started' },
            { header: 'closed' },
          ],
          rows.map((r) => [
            r.backfillId,
            r.status,
            r.runs,
            r.total ?? '',
            r.counts?.succeeded ?? '',
            r.counts?.failed ?? '',
            r.totals ? int(r.totals.rowsRead) : '',
            r.totals ? int(r.totals.rowsAccepted) : '',
            r.startTime.toISOString(),
            r.closeTime?.toISOString() ?? '',
          ]),
        );
        ctx.out(rows.length ? table : 'no backfills');
      });
    });
}
