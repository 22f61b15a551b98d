/**
 * The staging engine: one worker-local, in-memory DuckDB instance where partitions are read, typed,
 * quarantined and deduped (each load attempt on its own connection, in TEMP tables). It never opens
 * a target itself; a destination may attach its catalog here to commit a staged batch.
 * Settings are explicit: DuckDB's default memory_limit is 80% of RAM, too much beside a Temporal
 * server and a worker; temp_directory is where large partitions spill.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sizeBytes } from '../../common/size';
import { extensionSettings } from '../duckdb-extensions';

export interface DuckDbSettings {
  memoryLimit: string;
  threads: number;
  tempDirectory?: string;
}

export class StagingEngine {
  private instance: Promise<DuckDBInstance> | undefined;

  constructor(private readonly settings: DuckDbSettings) {}

  /**
   * The longest record line the readers accept: DuckDB's line reader allocates twice this per scan,
   * so it follows the memory limit (an eighth of it, at most 64 MiB; a longer line is a bad file).
   */
  get maxLineBytes(): number {
    return Math.max(1 << 20, Math.min(64 << 20, Math.floor(parseSize(this.settings.memoryLimit) / 8)));
  }

  /** A new connection: its TEMP tables are private to it, so concurrent loads never collide. */
  async connect(): Promise<DuckDBConnection> {
    if (!this.instance) {
      const created = DuckDBInstance.create(':memory:', instanceSettings(this.settings));
      created.catch(() => (this.instance = undefined));
      this.instance = created;
    }
    return (await this.instance).connect();
  }

  /** Closes the instance (worker shutdown); attached catalogs are checkpointed and released. */
  async close(): Promise<void> {
    const pending = this.instance;
    this.instance = undefined;
    if (!pending) return;
    try {
      (await pending).closeSync();
    } catch {
      // an instance that failed to open has nothing to close
    }
  }
}

/**
 * DuckDB settings for one worker process; values are validated numbers and sizes. An in-memory
 * instance would spill to ".tmp" in the working directory, so the default is a per-process folder
 * under the OS temp dir. Extensions (a DuckLake destination attaches here) come only from the
 * provisioned directory, never downloaded at run time.
 */
export function instanceSettings(opts: DuckDbSettings): Record<string, string> {
  return {
    ...extensionSettings(),
    memory_limit: opts.memoryLimit,
    threads: String(opts.threads),
    checkpoint_threshold: `${checkpointThresholdBytes(opts.memoryLimit) / 2 ** 20}MiB`,
    temp_directory: opts.tempDirectory ?? path.join(tmpdir(), 'temporal-backfill-spill', String(process.pid)),
  };
}

/**
 * When an attached DuckDB file target folds its WAL into the file. DuckDB's default (16 MB) makes
 * a checkpoint every few partitions, and each costs about as much as one for many partitions (a
 * partition's commit averaged ~90 ms of checkpointing against ~40 ms with 256 MB; BENCHMARKS.md).
 * Committed rows are durable in the WAL either way; what a larger threshold costs is WAL replay
 * after a crash and memory for rows not yet checkpointed, hence an eighth of the memory limit,
 * between 16 MiB and 256 MiB. Maintenance and worker shutdown checkpoint the file too.
 */
export function checkpointThresholdBytes(memoryLimit: string): number {
  return 2 ** 20 * Math.max(16, Math.min(256, Math.floor(parseSize(memoryLimit) / 8 / 2 ** 20)));
}

/** "2GB", "512 MiB" → bytes (the forms the config accepts). */
export function parseSize(text: string): number {
  // A unit is required here (a bare number is not a memory limit).
  const bytes = /[kmgt]i?b\s*$/i.test(text) ? sizeBytes(text) : undefined;
  if (bytes === undefined) throw new Error(`invalid size "${text}"`);
  return bytes;
}
