/**
 * `npm run bench:checks [-- --partitions 4 --rows 100000 --files 4 --rounds 5]`
 * What five declared checks cost on clean data (none fires): the real loadPartition activity in
 * this process loads the same partitions into fresh DuckDB files with no checks and with five
 * (notNull, acceptedValues, range, pattern, expression), alternating, one DuckDB thread as a worker
 * running several loads has. Prints medians and the ratio of the wall time and of the process's CPU
 * time (all its threads: what the load itself spent, steadier than wall time on a shared machine);
 * the figures go into BENCHMARKS.md by hand.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSpec, type BackfillSpec, type BackfillSpecInput } from '../common/spec';
import { generateTransactions } from '../testkit/dataset';
import { createLoader } from '../testkit/loader';
import { createMetrics } from '../worker/metrics';
import { transactionsSpecInput } from '../testkit/specs';
import { benchFlags, machineLine, runBench } from './bench-common';

const flags = benchFlags({ partitions: 4, rows: 100_000, files: 4, rounds: 5 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Five checks the generated transactions all pass. */
export const FIVE_CHECKS: BackfillSpecInput['checks'] = [
  { name: 'customer_present', notNull: { column: 'customer_id' } },
  { name: 'currency_known', acceptedValues: { column: 'currency', values: ['EUR', 'USD', 'GBP', 'JPY'] } },
  { name: 'amount_range', range: { column: 'amount', min: 0, max: 1_000_000 } },
  { name: 'id_shape', pattern: { column: 'transaction_id', regex: '^tx-[0-9-]+$' } },
  { name: 'updated_after_event', expression: 'updated_at >= event_time' },
];

async function main() {
  const work = path.join(os.tmpdir(), `backfill-bench-checks-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const to = `2015-${String(flags.partitions).padStart(2, '0')}`;
  const data = generateTransactions({
    dir: path.join(work, 'raw'),
    from: '2015-01',
    to,
    rowsPerPartition: flags.rows,
    filesPerPartition: flags.files,
    seed: 5,
  });
  // The check phase's own time, as the worker's backfill_checks_duration_seconds sees it.
  let checksMs = 0;
  const loader = createLoader({ memoryLimit: '2GB', threads: 1 }, undefined, {
    metrics: { ...createMetrics(), checksRan: (ms) => void (checksMs += ms) },
  });
  const phase = { five: [] as number[] };
  const times = { none: [] as number[], five: [] as number[] };
  const cpu = { none: [] as number[], five: [] as number[] };
  let targets = 0;
  const specFor = (checks: BackfillSpecInput['checks']): BackfillSpec => {
    const name = `c${++targets}`;
    return parseSpec({
      ...transactionsSpecInput({
        name,
        source: path.join(work, 'raw'),
        target: path.join(work, `${name}.duckdb`),
        from: '2015-01',
        to,
      }),
      checks,
    });
  };
  try {
    for (let round = 0; round < flags.rounds; round++) {
      // Alternating which goes first, so neither always meets a warm or a cold cache.
      const order = round % 2 ? (['five', 'none'] as const) : (['none', 'five'] as const);
      for (const variant of order) {
        const spec = specFor(variant === 'five' ? FIVE_CHECKS : []);
        checksMs = 0;
        const started = process.hrtime.bigint();
        const cpuStarted = process.cpuUsage();
        for (const key of data.partitions) {
          const result = await loader.load(spec, key);
          if (result.checks?.some((c) => c.outcome !== 'passed'))
            throw new Error(`a check fired on clean data: ${JSON.stringify(result.checks)}`);
        }
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const used = process.cpuUsage(cpuStarted);
        const cpuMs = (used.user + used.system) / 1000;
        times[variant].push(ms);
        cpu[variant].push(cpuMs);
        if (variant === 'five') phase.five.push(checksMs / ms);
        process.stderr.write(
          `round ${round + 1} ${variant}: ${ms.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms\n`,
        );
      }
    }
  } finally {
    await loader.close();
    rmSync(work, { recursive: true, force: true });
  }
  const cell = (xs: number[]) => `${median(xs).toFixed(0)} (${xs.map((t) => t.toFixed(0)).join(', ')})`;
  process.stdout.write(
    [
      `Command: \`npm run bench:checks -- ${process.argv.slice(2).join(' ')}\`: ${data.partitions.length} partitions of ${flags.rows.toLocaleString('en-US')} rows in ${flags.files} NDJSON files (${data.rows.toLocaleString('en-US')} rows), DuckDB file, ${flags.rounds} rounds. ${machineLine()}.`,
      '',
      '| measure | no checks, ms (runs) | five checks, ms (runs) | five / none |',
      '|---|---|---|---|',
      `| wall time | ${cell(times.none)} | ${cell(times.five)} | ${(median(times.five) / median(times.none)).toFixed(2)}x |`,
      `| the checks' share of the five-check loads' wall time | | ${phase.five.map((x) => `${(100 * x).toFixed(1)} %`).join(', ')} | median ${(100 * median(phase.five)).toFixed(1)} % |`,
      `| CPU time (process) | ${cell(cpu.none)} | ${cell(cpu.five)} | ${(median(cpu.five) / median(cpu.none)).toFixed(2)}x |`,
      '',
    ].join('\n'),
  );
}

runBench(main);
