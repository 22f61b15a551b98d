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

/** Serialises the commit step per target within this process: staging runs in parallel, commits don't race. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
