/** `backfill worker` and `backfill setup` (for clusters: search attributes and a retention check). */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { SEARCH_ATTRIBUTES } from '../../common/ids';
import { runWorker } from '../../worker/main';
import { type CliContext, withClient } from '../context';

/** Below this, closed child runs vanish before a long backfill can consult them as its checkpoint. */
export const RECOMMENDED_RETENTION_DAYS = 30;

/** Days the namespace keeps closed runs; a warning line when that is too short to be the checkpoint. */
export async function retentionWarning(client: Client, namespace: string): Promise<string | undefined> {
  const ns = await client.connection.workflowService.describeNamespace({ namespace });
  const days = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86_400;
  if (days >= RECOMMENDED_RETENTION_DAYS) return undefined;
  return (
    `warning: namespace ${namespace} keeps closed runs ${days.toFixed(1)} days; a re-run after that cannot tell which partitions are done. ` +
    `Consider ${RECOMMENDED_RETENTION_DAYS} days or more.`
  );
}

export function registerAdmin(program: Command, ctx: CliContext) {
  program
    .command('worker')
    .description('run a worker against TEMPORAL_ADDRESS until SIGTERM/SIGINT')
    .action(async () => {
      await runWorker(ctx.config);
    });

  program
    .command('setup')
    .description('register the search attributes on a cluster and check the namespace retention')
    .action(async () => {
      await withClient(ctx, async (client) => {
        const namespace = ctx.config.TEMPORAL_NAMESPACE;
        const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
        const missing = SEARCH_ATTRIBUTES.filter((a) => !(a.name in (existing.customAttributes ?? {})));
        if (missing.length) {
          await client.connection.operatorService.addSearchAttributes({
            namespace,
            searchAttributes: Object.fromEntries(missing.map((a) => [a.name, 2 /* KEYWORD */])),
          });
        }
        ctx.out(
          missing.length
            ? `registered search attributes: ${missing.map((a) => a.name).join(', ')}`
            : 'search attributes already registered',
        );
        const warning = await retentionWarning(client, namespace);
        if (warning) ctx.err(warning);
        else ctx.out(`namespace ${namespace}: retention of ${RECOMMENDED_RETENTION_DAYS} days or more`);
      });
    });
}
