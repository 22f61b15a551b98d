/**
 * `npm run bench:downloads [-- --objects 400 --rows 80000 --repeat 3 --latency 20]`
 * One partition of many small gzip objects in a real MinIO, loaded by the real activity with
 * BACKFILL_DOWNLOAD_CONCURRENCY 1 (the sequential baseline, measured in the same run), 4 and 8;
 * once on loopback and once through a proxy adding --latency ms per round trip (S3 from a worker
 * is tens of milliseconds away, loopback MinIO is not). Medians of --repeat loads each; writes its
 * section of BENCHMARKS.md.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createS3Source, s3ClientFactory } from '../loading/sources/s3-source';
import { parseSpec } from '../common/spec';
import { generateTransactions } from '../testkit/dataset';
import { createLoader } from '../testkit/loader';
import { startMinio } from '../testkit/minio-server';
import { transactionsSpecInput } from '../testkit/specs';
import { benchFlags, machineLine, runBench } from './bench-common';

const flags = benchFlags({ objects: 400, rows: 80_000, repeat: 3, latency: 20 });
const [OBJECTS, ROWS, REPEAT, LATENCY] = [flags.objects, flags.rows, flags.repeat, flags.latency];
const root = path.resolve(__dirname, '..', '..');
const BEGIN = '<!-- bench:downloads:begin -->';
const END = '<!-- bench:downloads:end -->';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A TCP proxy that delays every chunk by half the latency each way (order kept: equal timeouts fire in order). */
async function latencyProxy(
  upstream: string,
  latencyMs: number,
): Promise<{ endpoint: string; close: () => void }> {
  const { hostname, port } = new URL(upstream);
  const half = latencyMs / 2;
  const relay = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => setTimeout(() => to.write(chunk), half));
    from.on('end', () => setTimeout(() => to.end(), half));
    from.on('error', () => to.destroy());
  };
  const server = createServer((client) => {
    const backend = connect(Number(port), hostname);
    relay(client, backend);
    relay(backend, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => server.close(),
  };
}

async function main() {
  const work = path.join(os.tmpdir(), `backfill-bench-downloads-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const minio = await startMinio();
  process.env.AWS_ACCESS_KEY_ID = minio.accessKey;
  process.env.AWS_SECRET_ACCESS_KEY = minio.secretKey;
  try {
    const data = generateTransactions({
      dir: path.join(work, 'raw'),
      from: '2019-01',
      to: '2019-01',
      rowsPerPartition: ROWS,
      filesPerPartition: OBJECTS,
      gzip: true,
    });
    await minio.createBucket('bench');
    await minio.uploadDir('bench', 'raw/', path.join(work, 'raw'));
    const source = createS3Source({ clientFor: s3ClientFactory() });
    const proxy = await latencyProxy(minio.endpoint, LATENCY);
    const rows: string[] = [];
    for (const [where, endpoint] of [
      ['loopback', minio.endpoint],
      [`+${LATENCY} ms per round trip`, proxy.endpoint],
    ] as const) {
      let baseline = 0;
      for (const concurrency of [1, 4, 8]) {
        const seconds: number[] = [];
        for (let i = 0; i < REPEAT; i++) {
          const spec = parseSpec(
            transactionsSpecInput({
              name: 'bench-downloads',
              source: { uri: 's3://bench/raw', endpoint, forcePathStyle: true },
              target: path.join(work, `t-${rows.length}-${i}.duckdb`),
              from: '2019-01',
              to: '2019-01',
            }),
          );
          const loader = createLoader({ memoryLimit: '2GB', threads: 2 }, source, {
            downloadConcurrency: concurrency,
            workDir: work,
          });
          const start = process.hrtime.bigint();
          const result = await loader.load(spec, '2019-01');
          seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
          await loader.close();
          if (result.rowsRead !== data.rows) throw new Error(`read ${result.rowsRead} of ${data.rows} rows`);
        }
        const m = median(seconds);
        if (concurrency === 1) baseline = m;
        rows.push(
          `| ${where} | ${concurrency} | ${m.toFixed(2)} | ${Math.round(data.rows / m).toLocaleString('en-US')} | ${(baseline / m).toFixed(2)}x | ${seconds.map((s) => s.toFixed(2)).join(', ')} |`,
        );
      }
    }
    proxy.close();
    const args = process.argv.slice(2).join(' ');
    const command = args ? `npm run bench:downloads -- ${args}` : 'npm run bench:downloads';
    const section = [
      BEGIN,
      '## S3 downloads ahead of staging',
      '',
      `Command: \`${command}\`: one partition of ${OBJECTS} gzip NDJSON objects (${data.rows.toLocaleString('en-US')} rows) in a local MinIO, loaded by the real activity; medians of ${REPEAT}. ` +
        `${machineLine()}.`,
      '',
      '| network | download concurrency | seconds (median) | rows/s | speed-up vs 1 | runs |',
      '|---|---|---|---|---|---|',
      ...rows,
      END,
    ].join('\n');
    process.stdout.write(`${section}\n`);
    const file = path.join(root, 'BENCHMARKS.md');
    const text = readFileSync(file, 'utf8');
    const i = text.indexOf(BEGIN);
    const j = text.indexOf(END);
    writeFileSync(
      file,
      i >= 0 && j > i
        ? `${text.slice(0, i)}${section}${text.slice(j + END.length)}`
        : `${text.trimEnd()}\n\n${section}\n`,
    );
  } finally {
    await minio.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

runBench(main);
