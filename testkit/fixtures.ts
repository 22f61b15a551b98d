/** Fixtures on disk: temp dirs, unique names, and a generated transactions backfill ready to start. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { BackfillSpec, BackfillSpecInput } from '../common/spec';
import { generateTransactions, type Dataset, type DatasetOptions } from './dataset';
import { transactionsSpec, type TransactionsSpecOptions } from './specs';

export const tempDir = (prefix = 'backfill-test-') => mkdtempSync(path.join(tmpdir(), prefix));
export const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Writes a spec where the CLI can read it (JSON is YAML too); returns the file. */
export function writeSpecFile(dir: string, spec: object, name = 'spec.json'): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

/** A temp dir with generated transactions under raw/ (300 rows a partition unless said). */
export function generatedTransactions(
  options: Omit<DatasetOptions, 'dir' | 'rowsPerPartition'> & { rowsPerPartition?: number },
) {
  const dir = tempDir();
  const raw = path.join(dir, 'raw');
  const data = generateTransactions({ rowsPerPartition: 300, ...options, dir: raw });
  return { dir, raw, data };
}

export interface PreparedBackfill {
  /** The temp dir holding raw/, the target and the spec file. */
  dir: string;
  /** The generated files (year=YYYY/month=MM/...). */
  raw: string;
  /** The DuckDB file the spec writes. */
  target: string;
  /** What was generated, with the oracle the target must equal afterwards. */
  data: Dataset;
  spec: BackfillSpec;
  /** The spec as a file, for the CLI. */
  specFile: string;
  /** A fresh task queue, for a worker of this backfill alone. */
  taskQueue: string;
}

/**
 * Temp dir → generated transactions → spec (`transactionsSpec`, named uniquely after `name`) →
 * target file: what a backfill test needs before it starts anything.
 */
export function prepareTransactionsBackfill(options: {
  name: string;
  from: string;
  to: string;
  /** Generator options beside the range; 300 rows a partition unless said. */
  data?: Partial<Omit<DatasetOptions, 'dir' | 'from' | 'to'>>;
  /** The spec's last partition, when the spec reaches past the data. */
  specTo?: string;
  /** The spec's source, when the data is read from elsewhere (e.g. uploaded to MinIO). */
  source?: TransactionsSpecOptions['source'];
  targetOptions?: TransactionsSpecOptions['targetOptions'];
  extra?: Partial<BackfillSpecInput>;
}): PreparedBackfill {
  const { dir, raw, data } = generatedTransactions({ from: options.from, to: options.to, ...options.data });
  const target = path.join(dir, 't.duckdb');
  const spec = transactionsSpec({
    name: uniqueId(options.name),
    source: options.source ?? raw,
    target,
    from: options.from,
    to: options.specTo ?? options.to,
    ...(options.targetOptions ? { targetOptions: options.targetOptions } : {}),
    ...(options.extra ? { extra: options.extra } : {}),
  });
  const specFile = writeSpecFile(dir, spec);
  return { dir, raw, target, data, spec, specFile, taskQueue: uniqueId('tq') };
}
