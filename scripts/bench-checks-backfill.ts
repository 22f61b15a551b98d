/**
 * `npm run bench -- --checks` (the (b'') row; `npm run bench:checks` measures the load activity alone): the (b) backfill of the clean data with five checks declared against
 * the same backfill without them, alternating, each run into its own fresh target (medians of
 * `--checks-runs`, default 3). Every check passes on this data: the row measures what evaluating
 * them costs a load, not what a rejection does.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startBackfill } from '../client/backfills';
import { parseSpec, type BackfillSpecInput } from '../common/spec';
import { transactionsSpecInput } from '../testkit/specs';

/** Five checks of five kinds that the generated transactions pass. */
export const BENCH_CHECKS: BackfillSpecInput['checks'] = [
  { name: 'customer_present', notNull: { column: 'customer_id' } },
  { name: 'currency_known', acceptedValues: { column: 'currency', values: ['EUR', 'USD', 'GBP', 'JPY'] } },
  { name: 'amount_range', range: { column: 'amount', min: 0, max: 100000 } },
  { name: 'updated_after_event', expression: 'updated_at >= event_time' },
  { name: 'volume', rowCount: { relativeMin: 0.5, relativeMax: 2 } },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function checksBackfill(
  client: Client,
  work: string,
  range: { from: string; to: string },
  concurrency: number,
  runs: number,
) {
  const run = async (name: string, checks: BackfillSpecInput['checks']) => {
    const spec = parseSpec({
      ...transactionsSpecInput({
        name,
        source: path.join(work, 'raw'),
        target: path.join(work, `${name}.duckdb`),
        ...range,
      }),
      maxConcurrency: concurrency,
      maintenance: { enabled: false },
      checks,
    });
    const start = process.hrtime.bigint();
    const summary = await (await startBackfill(client, spec, { taskQueue: 'bench' })).result();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const fired = (summary.partitions ?? []).filter((p) =>
      p.stats?.checks?.some((c) => c.outcome !== 'passed'),
    );
    if (summary.counts.succeeded !== summary.total || fired.length)
      throw new Error(
        `${name}: ${summary.counts.succeeded}/${summary.total} succeeded, ${fired.length} with checks that fired`,
      );
    return { seconds, rows: summary.totals.rowsRead };
  };
  const without: number[] = [];
  const withChecks: number[] = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    without.push((await run(`bench-nochecks-${i}`, [])).seconds);
    const checked = await run(`bench-checks-${i}`, BENCH_CHECKS);
    withChecks.push(checked.seconds);
    rows = checked.rows;
  }
  const [a, b] = [median(without), median(withChecks)];
  return {
    name: "(b'') backfill with five checks declared (clean data)",
    seconds: b,
    rows,
    note:
      `medians of ${runs}, alternating: without checks ${a.toFixed(2)} s, with ${b.toFixed(2)} s = ${(b / a).toFixed(2)}x the time ` +
      `(runs without: ${without.map((s) => s.toFixed(2)).join(', ')}; with: ${withChecks.map((s) => s.toFixed(2)).join(', ')})`,
  };
}
