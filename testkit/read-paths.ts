/**
 * Both read paths on every load: a Loader whose load() first loads the partition line by line
 * (BACKFILL_READ_PATH=line) into a shadow target next to the real one, then the default way (the
 * optimistic read, loading/staging/fast-read.ts) into the real target, and fails unless both give
 * the same outcome (status and counts, or failure type and message) and the same tables (target,
 * rejects with file, line, raw text and reason, tombstones; only load timestamps aside). The suite's
 * own assertions then check the real target as before, so each case runs against both paths at
 * the cost of a second load, not a second suite. DuckLake targets are loaded once.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityMetrics } from '../activities/deps';
import type { BackfillSpec } from '../common/spec';
import type { LoadPartitionResult } from '../common/types';
import { createLoader, type Loader } from './loader';

export interface ComparingLoader extends Loader {
  /**
   * Files the default loads read each way so far (to check a suite exercises the fast path), and the
   * fast ones by format (ndjson, json for JSON arrays, csv, parquet).
   */
  reads: Reads;
  /** One load, the default way only: for a case arranged around the real target (a lock on it). */
  loadOnce: Loader['load'];
}

export interface Reads {
  fast: number;
  line: number;
  fastByFormat: Record<string, number>;
}

type Outcome =
  { ok: Omit<LoadPartitionResult, 'durationMs'> } | { failed: { type: string; message: string } };

export function createComparingLoader(...args: Parameters<typeof createLoader>): ComparingLoader {
  const [settings, s3, extra = {}] = args;
  const reads: Reads = { fast: 0, line: 0, fastByFormat: {} };
  const fast = createLoader(settings, s3, { ...extra, readPath: 'auto', metrics: counting(reads) });
  const line = createLoader(settings, s3, { ...extra, readPath: 'line' });
  return {
    ...fast,
    reads,
    loadOnce: (spec, partitionKey, backfillId) => fast.load(spec, partitionKey, backfillId),
    async load(spec, partitionKey, backfillId) {
      if (spec.target.type !== 'duckdb') return fast.load(spec, partitionKey, backfillId);
      const real = spec.target.path;
      const shadow = path.join(path.dirname(real), `line-path-${path.basename(real)}`);
      const shadowSpec: BackfillSpec = { ...spec, target: { ...spec.target, path: shadow } };
      const expected = await outcome(() => line.load(shadowSpec, partitionKey, backfillId), [shadow, real]);
      const expectedTables = await dump(line, shadow, spec.target.table);
      let result: Awaited<ReturnType<Loader['load']>> | undefined;
      let error: unknown;
      const actual = await outcome(async () => {
        try {
          return (result = await fast.load(spec, partitionKey, backfillId));
        } catch (err) {
          error = err;
          throw err;
        }
      }, []);
      const where = `${spec.name} ${partitionKey}`;
      assert.deepEqual(actual, expected, `${where}: the fast and line-level paths disagree on the outcome`);
      assert.deepEqual(
        await dump(fast, real, spec.target.table),
        expectedTables,
        `${where}: the paths leave different tables`,
      );
      if (error !== undefined || !result) throw error;
      return result;
    },
    close: async () => {
      await Promise.all([fast.close(), line.close()]);
    },
  };
}

/** What a load came to, in terms both paths must agree on (a shadow path named as the real one). */
async function outcome(load: () => Promise<LoadPartitionResult>, rename: string[]): Promise<Outcome> {
  const same = (text: string) =>
    (rename.length ? text.replaceAll(rename[0]!, rename[1]!) : text).replace(
      /backfill-attempt-[^/\s]+/g,
      'backfill-attempt-*',
    );
  try {
    const { durationMs: _durationMs, ...rest } = await load();
    return { ok: rest };
  } catch (err) {
    const type = err instanceof ApplicationFailure ? (err.type ?? 'Error') : 'thrown';
    return { failed: { type, message: same((err as Error).message) } };
  }
}

/**
 * The tables a load writes (target, rejects, tombstones), rows sorted, load timestamps left out;
 * nothing if there is no file. A table a test made by hand in the real target only is not compared.
 */
export async function dump(loader: Loader, file: string, table: string): Promise<Record<string, string[]>> {
  if (!existsSync(file)) return {};
  const tables = (
    await loader.query<{ name: string }>(
      file,
      'SELECT table_name AS name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1',
    )
  ).filter(({ name }) => name === table || name.startsWith(`${table}__`));
  const out: Record<string, string[]> = {};
  for (const { name } of tables) {
    const rows = await loader.query<Record<string, unknown>>(
      file,
      `SELECT * FROM "${name.replaceAll('"', '""')}"`,
    );
    out[name] = rows.map(({ _loaded_at: _l, rejected_at: _r, ...row }) => JSON.stringify(row)).sort();
  }
  return out;
}

/** Metrics that only count how the default loads read their files. */
function counting(reads: Reads): ActivityMetrics {
  const none = () => undefined;
  return {
    fileStaged: none,
    merged: none,
    fileRead: (how, format) => {
      reads[how]++;
      if (how === 'fast')
        reads.fastByFormat[format ?? 'ndjson'] = (reads.fastByFormat[format ?? 'ndjson'] ?? 0) + 1;
    },
    partitionStarted: none,
    partitionLoaded: none,
    partitionFailed: none,
    partitionCancelled: none,
    s3Error: none,
  };
}
