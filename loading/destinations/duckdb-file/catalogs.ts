/**
 * DuckDB files attached to the staging engine, once per file per process: a DuckDB file admits one
 * writing process (as before the seam), and one instance may attach a file only once. They stay
 * attached until the worker stops; closing detaches them, which checkpoints each file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../duckdb';
import * as sql from '../../sql';
import type { StagingEngine } from '../../staging/engine';

export class DuckDbFileCatalogs {
  private readonly attached = new Map<string, Promise<string>>();

  constructor(private readonly engine: StagingEngine) {}

  /** The catalog name the file is attached under (attaching it, and creating it, if needed). */
  attach(file: string): Promise<string> {
    const key = path.resolve(file);
    let pending = this.attached.get(key);
    if (!pending) {
      pending = this.attachNow(key);
      // A file that failed to attach (locked by another process, say) is tried again next time.
      pending.catch(() => this.attached.delete(key));
      this.attached.set(key, pending);
    }
    return pending;
  }

  private async attachNow(file: string): Promise<string> {
    mkdirSync(path.dirname(file), { recursive: true });
    const catalog = catalogName(file);
    const conn = await this.engine.connect();
    try {
      await run(conn, sql.attachDatabase(file, catalog));
      return catalog;
    } finally {
      conn.closeSync();
    }
  }

  /** Detaches every file (each is checkpointed and released). */
  async close(): Promise<void> {
    const all = [...this.attached.values()];
    this.attached.clear();
    if (all.length === 0) return;
    const conn = await this.engine.connect();
    try {
      for (const pending of all) {
        const catalog = await pending.catch(() => undefined);
        if (catalog) await run(conn, sql.detachDatabase(catalog)).catch(() => undefined);
      }
    } finally {
      conn.closeSync();
    }
  }
}

/** A stable catalog name per file, free of the path's characters (it is quoted anyway). */
export const catalogName = (file: string) =>
  `target_${createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 16)}`;
