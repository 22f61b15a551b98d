/**
 * `npm run bench -- --messy`: (b') the (b) data set copied with bad records in a third of the files
 * and one gzip file (testkit/messy-data.ts messyCopy), loaded the same way into its own target.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { startBackfill } from '../client/backfills';
import { parseSpec } from '../common/spec';
import { messyCopy } from '../testkit/messy-data';
import { transactionsSpecInput } from '../testkit/specs';

export async function messyBackfill(
  client: Client,
  work: string,
  range: { from: string; to: string },
  concurrency: number,
  cleanSeconds: number,
) {
  const raw = path.join(work, 'raw-messy');
  const { bad } = messyCopy(path.join(work, 'raw'), raw, 5);
  const input = transactionsSpecInput({
    name: 'bench-messy',
    source: raw,
    target: path.join(work, 'm.duckdb'),
    ...range,
  });
  const spec = parseSpec({ ...input, maxConcurrency: concurrency, maintenance: { enabled: false } });
  const start = process.hrtime.bigint();
  const summary = await (await startBackfill(client, spec, { taskQueue: 'bench' })).result();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    name: "(b') messy backfill, dev server + 1 worker",
    seconds,
    rows: summary.totals.rowsRead,
    note:
      `${bad} bad records in a third of the files, one gzip file; ${summary.totals.rowsRejected} rejected; ` +
      `${(seconds / cleanSeconds).toFixed(2)}x the time of (b)`,
  };
}
