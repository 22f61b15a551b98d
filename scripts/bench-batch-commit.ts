/**
 * `npm run bench:batch-commit [-- --partitions 6 --rows 40000 --files 6 --rounds 3]`
 * What one transaction for a batch of partitions (spec `commit: batch`) saves over one per
 * partition, without orchestration: the real activities in this process load the same partitions
 * one by one (loadPartition each) and as one batch (loadBatch), into a DuckDB file and into a
 * DuckLake (local PostgreSQL catalog, data on a local MinIO), alternating, each round into fresh
 * targets; one DuckDB thread, as a worker running several loads has. Prints medians and ratios; the
 * figures go into BENCHMARKS.md by hand.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSpec, type BackfillSpec } from '../common/spec';
import { generateTransactions } from '../testkit/dataset';
import { startLakeServers } from '../testkit/lake-servers';
import { createLoader } from '../testkit/loader';
import { transactionsSpecInput } from '../testkit/specs';
import { benchFlags, machineLine, runBench } from './bench-common';

const flags = benchFlags({ partitions: 6, rows: 40_000, files: 6, rounds: 3 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const work = path.join(os.tmpdir(), `backfill-bench-batch-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const to = `2015-${String(flags.partitions).padStart(2, '0')}`;
  const data = generateTransactions({
    dir: path.join(work, 'raw'),
    from: '2015-01',
    to,
    rowsPerPartition: flags.rows,
    filesPerPartition: flags.files,
    seed: 3,
  });
  const keys = data.partitions;
  const servers = await startLakeServers('batchbench');
  const loader = createLoader({ memoryLimit: '2GB', threads: 1 }, undefined, {
    lake: { env: servers.lakeEnv(), connectWindowMs: 20_000 },
  });
  const times = new Map<string, number[]>();
  let targets = 0;
  const specFor = (destination: 'file' | 'lake', commit: 'partition' | 'batch'): BackfillSpec => {
    const name = `b${++targets}`;
    const target =
      destination === 'file'
        ? path.join(work, `${name}.duckdb`)
        : { ...servers.newLake(name), endpoint: servers.minio.endpoint };
    return parseSpec({
      ...transactionsSpecInput({ name, source: path.join(work, 'raw'), target, from: '2015-01', to }),
      partitionsPerChild: keys.length,
      commit,
    });
  };
  try {
    for (let round = 0; round < flags.rounds; round++) {
      for (const destination of ['file', 'lake'] as const) {
        for (const commit of ['partition', 'batch'] as const) {
          const spec = specFor(destination, commit);
          const started = process.hrtime.bigint();
          if (commit === 'batch') await loader.loadBatch(spec, keys);
          else for (const key of keys) await loader.load(spec, key);
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          const name = `${destination} ${commit}`;
          times.set(name, [...(times.get(name) ?? []), ms]);
          process.stderr.write(`round ${round + 1} ${name}: ${ms.toFixed(0)} ms\n`);
        }
      }
    }
  } finally {
    await loader.close();
    await servers.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const row = (destination: string) => {
    const one = times.get(`${destination} partition`)!;
    const batch = times.get(`${destination} batch`)!;
    return `| ${destination === 'file' ? 'DuckDB file' : 'DuckLake (PostgreSQL + MinIO)'} | ${median(one).toFixed(0)} (${one.map((t) => t.toFixed(0)).join(', ')}) | ${median(batch).toFixed(0)} (${batch.map((t) => t.toFixed(0)).join(', ')}) | ${(median(batch) / median(one)).toFixed(2)}x |`;
  };
  process.stdout.write(
    [
      `Command: \`npm run bench:batch-commit -- ${process.argv.slice(2).join(' ')}\`: ${keys.length} partitions of ${flags.rows.toLocaleString('en-US')} rows in ${flags.files} NDJSON files (${data.rows.toLocaleString('en-US')} rows), ${flags.rounds} rounds. ${machineLine()}.`,
      '',
      '| destination | one transaction per partition, ms (runs) | one for the batch, ms (runs) | batch / per partition |',
      '|---|---|---|---|',
      row('file'),
      row('lake'),
      '',
    ].join('\n'),
  );
}

runBench(main);
