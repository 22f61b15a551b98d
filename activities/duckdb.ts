/**
 * One DuckDB instance per target file per worker process (a DuckDB file admits one writing
 * process). Settings are explicit: DuckDB's default memory_limit is 80% of RAM, too much beside a
 * Temporal server and a worker.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Statement } from './sql';
import { instanceSettings } from './sql';

export interface DuckDbSettings {
  memoryLimit: string;
  threads: number;
  tempDirectory?: string;
}

export class DuckDbPool {
  private readonly instances = new Map<string, Promise<DuckDBInstance>>();

  constructor(private readonly settings: DuckDbSettings) {}

  /**
   * The longest record line the readers accept: DuckDB's line reader allocates twice this per scan,
   * so it follows the memory limit (an eighth of it, at most 64 MiB; a longer line is a bad file).
   */
  get maxLineBytes(): number {
    return Math.max(1 << 20, Math.min(64 << 20, Math.floor(parseSize(this.settings.memoryLimit) / 8)));
  }

  instance(file: string): Promise<DuckDBInstance> {
    const key = path.resolve(file);
    let instance = this.instances.get(key);
    if (!instance) {
      mkdirSync(path.dirname(key), { recursive: true });
      instance = DuckDBInstance.create(key, instanceSettings(this.settings));
      instance.catch(() => this.instances.delete(key));
      this.instances.set(key, instance);
    }
    return instance;
  }

  async connect(file: string): Promise<DuckDBConnection> {
    return (await this.instance(file)).connect();
  }

  /** Closes every instance (worker shutdown), which checkpoints the files. */
  async close(): Promise<void> {
    const all = [...this.instances.values()];
    this.instances.clear();
    for (const pending of all) {
      try {
        (await pending).closeSync();
      } catch {
        // an instance that failed to open has nothing to close
      }
    }
  }
}

export async function run(conn: DuckDBConnection, statement: Statement): Promise<void> {
  await conn.run(statement.sql, statement.params);
}

export async function queryRows<T = Record<string, unknown>>(
  conn: DuckDBConnection,
  statement: Statement,
): Promise<T[]> {
  const reader = await conn.runAndReadAll(statement.sql, statement.params);
  return reader.getRowObjectsJS() as T[];
}

/**
 * Serialises the commit step per target within this process: staging runs in parallel, commits
 * don't race. A waiter whose signal aborts (its partition was cancelled) leaves the queue at once
 * instead of waiting for the turns ahead of it.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    const done = () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    try {
      await untilAborted(previous, signal);
    } catch (err) {
      // Those queued behind now wait only for the turns ahead of this one.
      done();
      throw err;
    }
    try {
      return await fn();
    } finally {
      done();
    }
  }
}

function untilAborted(wait: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return wait;
  return new Promise((resolve, reject) => {
    const abort = () => reject(new Error('gave up waiting for the commit turn: cancelled'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    void wait.then(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    });
  });
}

const SIZE_UNITS: Record<string, number> = {
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** "2GB", "512 MiB" → bytes (the forms the config accepts). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b)$/i.exec(text.trim());
  if (!match) throw new Error(`invalid size "${text}"`);
  return Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!;
}
