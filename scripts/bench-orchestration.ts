/**
 * `npm run bench:orchestration [-- --count 2000 --per-child 50 --concurrency 40 --single 400]`
 * The (d) case of `npm run bench` that holds a file (one empty file per day partition, so each one
 * runs a load), alone, and where its time goes: from the parent's and every child's history, the
 * median of each step (child start, workflow task dispatch and processing, activity dispatch and
 * run, the parent's record of the child's end), plus the CPU seconds the dev server and the worker
 * spent. `--single N` also runs N such partitions one per child (0 leaves it out).
 * Environment for experiments: BENCH_WORKER_<NAME>=value passes <NAME>=value to the worker;
 * BENCH_SERVER_ARGS adds dev server flags, comma-separated (e.g. `--dynamic-config-value,
 * system.enableActivityEagerExecution=true`). Prints one JSON line per run and a Markdown table.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { startBackfill } from '../client/backfills';
import { startDevServer } from '../client/dev-server';
import { planPartitionKeys } from '../common/partitions';
import { parseSpec } from '../common/spec';
import { spawnWorker } from '../testkit/processes';
import { pollersReady } from '../testkit/pollers';
import { benchFlags, childPids, cpuSeconds, machineLine, runBench } from './bench-common';
import { childSteps, median, parentSteps, type Steps } from './history-steps';

const flags = benchFlags({ count: 2000, 'per-child': 50, concurrency: 40, single: 400 });
const work = path.join(os.tmpdir(), `backfill-bench-orch-${process.pid}`);

function emptyFiles(dir: string, to: string): void {
  for (const key of planPartitionKeys('1800-01-01', to, 'day')) {
    mkdirSync(path.join(dir, key), { recursive: true });
    writeFileSync(path.join(dir, key, 'empty.ndjson'), '');
  }
}

async function main() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const workerEnv = Object.fromEntries(
    Object.entries(process.env)
      .filter(([k]) => k.startsWith('BENCH_WORKER_'))
      .map(([k, v]) => [k.slice('BENCH_WORKER_'.length), v ?? '']),
  );
  const serverArgs = (process.env.BENCH_SERVER_ARGS ?? '').split(',').filter(Boolean);
  const server = await startDevServer({ dbFile: path.join(work, 'temporal.db'), extraArgs: serverArgs });
  const serverPid = childPids()[0];
  const client = new Client({ connection: server.connection, namespace: server.namespace });
  const worker = spawnWorker(server, 'bench', {
    BACKFILL_MAX_CONCURRENT_ACTIVITIES: '50',
    BACKFILL_DUCKDB_MEMORY_LIMIT: '2GB',
    BACKFILL_DUCKDB_THREADS: '2',
    ...workerEnv,
  });
  const rows: string[] = [];
  try {
    await pollersReady(client, 'bench');
    const runs = [{ count: flags.count, perChild: flags['per-child'], concurrency: flags.concurrency }];
    if (flags.single > 0) runs.push({ count: flags.single, perChild: 1, concurrency: 200 });
    for (const run of runs) {
      const to = new Date(Date.UTC(1800, 0, run.count)).toISOString().slice(0, 10);
      const sourceDir = path.join(work, `files-${run.count}`);
      emptyFiles(sourceDir, to);
      const spec = parseSpec({
        name: `orch-${run.count}-${run.perChild}`,
        source: { uri: sourceDir, layout: '{key}/' },
        schema: { id: 'VARCHAR' },
        target: { path: path.join(work, `noop-${run.perChild}.duckdb`), table: 't', keyColumns: ['id'] },
        range: { from: '1800-01-01', to, granularity: 'day' },
        maxConcurrency: run.concurrency,
        partitionsPerChild: run.perChild,
        maintenance: { enabled: false },
      });
      const cpu0 = [cpuSeconds(serverPid ?? 0), cpuSeconds(worker.process.pid!)];
      const started = process.hrtime.bigint();
      const summary = await (await startBackfill(client, spec, { taskQueue: 'bench' })).result();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = [cpuSeconds(serverPid ?? 0) - cpu0[0]!, cpuSeconds(worker.process.pid!) - cpu0[1]!];
      const steps: Steps = {};
      const parent = await client.workflow.getHandle(spec.name).fetchHistory();
      const childIds = parentSteps(parent, steps);
      for (const id of childIds) childSteps(await client.workflow.getHandle(id).fetchHistory(), steps);
      const medians = Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, median(v)]));
      const result = {
        partitions: summary.total,
        perChild: run.perChild,
        loaded: summary.counts.succeeded,
        seconds,
        msPerPartition: (seconds * 1000) / summary.total,
        cpuServerMsPerPartition: (cpu[0]! * 1000) / summary.total,
        cpuWorkerMsPerPartition: (cpu[1]! * 1000) / summary.total,
        medians,
      };
      process.stdout.write(`${JSON.stringify(result)}\n`);
      rows.push(
        `| ${summary.total} partitions, ${run.perChild} per child | ${result.msPerPartition.toFixed(1)} | ` +
          `${result.cpuServerMsPerPartition.toFixed(1)} / ${result.cpuWorkerMsPerPartition.toFixed(1)} | ` +
          Object.entries(medians)
            .map(([k, v]) => `${k} ${v.toFixed(1)}`)
            .join('; ') +
          ' |',
      );
    }
  } finally {
    await worker.kill('SIGTERM');
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const command = `npm run bench:orchestration -- ${process.argv.slice(2).join(' ')}`.trim();
  process.stdout.write(
    [
      `Command: \`${command}\``,
      machineLine(),
      '',
      '| run | ms/partition | CPU ms/partition (server / worker) | median ms per step |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

runBench(main);
