/**
 * Reads a partition's files one by one into the partition's records table, downloads and gunzips
 * running ahead. A partition of at least `resumeMinBytes` keeps each staged file as Parquet (the
 * resume data) so a retry after a crash re-reads only what was not staged; a smaller one is re-read
 * whole, which costs less than writing and reading back the Parquet on every load.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillSpec } from '../../common/spec';
import { run } from '../duckdb';
import type { LoadHooks } from '../hooks';
import { materialize } from '../sources/materialize';
import { prefetchInOrder } from '../sources/prefetch';
import type { Source, SourceFile } from '../sources';
import * as sql from '../sql';
import { byteOrder } from './discover';
import { readFast, type ReadPath } from './fast-read';
import { readRawFile } from './read';
import { fingerprint, reusableFiles, stagedFile, stagedFilesGlob } from './resume';

export interface StageFilesOptions {
  source: Source;
  maxLineBytes: number;
  downloadConcurrency: number;
  /** Parent of the attempt's work dir (downloads), removed when staging ends. */
  workDir: string;
  /** Partitions of at least this many source bytes keep staged files for file-level resume. */
  resumeMinBytes: number;
  /** auto: clean files take the optimistic read (fast-read.ts); line: every file is read line by line. */
  readPath: ReadPath;
}

export interface StagedFiles {
  /** Files taken from an interrupted attempt's staged files. */
  reused: number;
  /** Every record's keys, when every file was read here and each told them (Parquet, fast read). */
  keys?: string[];
  /** Files the optimistic read took (their rows are in the fast table), and their records' keys. */
  fast: { files: number; keys: string[] };
}

/**
 * Stages every file: clean ones (fast-read.ts) into the fast table, the others line by line into
 * the records table.
 */
export async function stageFiles(
  conn: DuckDBConnection,
  spec: BackfillSpec,
  files: SourceFile[],
  options: StageFilesOptions,
  hooks: LoadHooks,
): Promise<StagedFiles> {
  const { progress, resume } = hooks;
  const attemptDir = await mkdtemp(path.join(options.workDir, 'backfill-attempt-'));
  const resumable = files.reduce((sum, f) => sum + f.size, 0) >= options.resumeMinBytes;
  try {
    if (resumable) await mkdir(resume.dir, { recursive: true });
    else await run(conn, sql.createRecordsTable);
    // Resumable partitions stage line-level records as Parquet, so only smaller ones read fast.
    const fast = options.readPath === 'auto' && !resumable;
    if (fast) await run(conn, sql.createFastTable(spec.schema));
    const fastKeys = new Set<string>();
    let fastFiles = 0;
    // Below the threshold the heartbeat never reports staged files, so there is nothing to reuse.
    const reusable = resumable ? await reusableFiles(resume.previous, files, resume.dir) : 0;
    if (reusable > 0)
      hooks.log.info(
        { reusable, files: files.length },
        'resuming from the staged files of the interrupted attempt',
      );
    progress.filesStaged = reusable;
    progress.fingerprint = fingerprint(files.slice(0, reusable));
    // Downloads (and gunzips) run ahead of staging, which DuckDB does one file at a time.
    const ready = prefetchInOrder(files.slice(reusable), options.downloadConcurrency, (file, i, signal) =>
      materialize(options.source, spec, file, attemptDir, reusable + i, signal),
    );
    let index = reusable;
    // Keys known from the files themselves; a reused file's are not, so discovery scans then.
    let keys: Set<string> | undefined = reusable === 0 ? new Set() : undefined;
    for await (const local of ready) {
      hooks.signal.throwIfAborted();
      const file = files[index]!;
      const taken = fast
        ? await readFast(conn, spec, file, local.path, options.maxLineBytes, hooks.signal)
        : undefined;
      hooks.metrics?.fileRead?.(taken ? 'fast' : 'line');
      if (taken) {
        taken.keys.forEach((k) => (keys?.add(k), fastKeys.add(k)));
      } else {
        await run(conn, sql.createRawTable);
        const fileKeys = await readRawFile(conn, spec, file, local.path, index, options.maxLineBytes);
        if (fileKeys) fileKeys.forEach((k) => keys?.add(k));
        else keys = undefined;
        if (resumable) await run(conn, sql.saveRawFile(stagedFile(resume.dir, index)));
        else await run(conn, sql.appendRawFile);
      }
      if (taken) fastFiles++;
      await Promise.all(local.temporary.map((f) => rm(f, { force: true })));
      hooks.metrics?.fileStaged(file.size);
      hooks.log.debug(
        { file: file.name, bytes: file.size, etag: file.etag, index, fast: taken !== undefined },
        'file staged',
      );
      if (resumable) {
        progress.filesStaged = index + 1;
        progress.fingerprint = fingerprint(files.slice(0, index + 1));
      }
      const pause = hooks.faults?.delayAfterFileMs?.(hooks.partitionKey, index) ?? 0;
      if (pause > 0) await hooks.sleep(pause);
      index++;
    }
    if (resumable) await run(conn, sql.loadRecords(stagedFilesGlob(resume.dir)));
    const sorted = keys && byteOrder([...keys]);
    return {
      reused: reusable,
      ...(sorted ? { keys: sorted } : {}),
      fast: { files: fastFiles, keys: [...fastKeys] },
    };
  } finally {
    await rm(attemptDir, { recursive: true, force: true });
  }
}
