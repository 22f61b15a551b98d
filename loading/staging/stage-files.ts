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
import { fastCandidate, readFast, type ReadPath } from './fast-read';
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
  /** Files the optimistic read took (their rows are in the stage table already), and their keys. */
  fast: { files: number; keys: string[] };
}

/**
 * Stages every file: clean ones (fast-read.ts) straight into the stage table, the others line by
 * line into the records table.
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
    // The optimistic read fills the stage table (declared columns) as it goes; see stageRecords.
    const fast = options.readPath === 'auto' && !resumable;
    if (fast) await run(conn, sql.createStageTable(spec.schema));
    // Fast candidates wait (on disk: below the threshold) to be read in one statement at the end.
    const candidates: { index: number; file: SourceFile; local: Materialized; source: sql.FastSource }[] = [];
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
    // Keys known from the files themselves; a reused file's are not, so discovery scans then.
    let keys: Set<string> | undefined = reusable === 0 ? new Set() : undefined;
    /** The line-level read of one file, into the records table (or a staged Parquet file). */
    const readLines = async (index: number, file: SourceFile, local: Materialized) => {
      hooks.metrics?.fileRead?.('line');
      await run(conn, sql.createRawTable);
      const fileKeys = await readRawFile(conn, spec, file, local.path, index, options.maxLineBytes);
      if (fileKeys) fileKeys.forEach((k) => keys?.add(k));
      else keys = undefined;
      if (resumable) await run(conn, sql.saveRawFile(stagedFile(resume.dir, index)));
      else await run(conn, sql.appendRawFile);
      await removeTemporary(local);
      hooks.log.debug({ file: file.name, bytes: file.size, etag: file.etag, index }, 'file staged');
    };
    let index = reusable;
    for await (const local of ready) {
      hooks.signal.throwIfAborted();
      const file = files[index]!;
      const source = fast && (await fastCandidate(conn, spec, file, local.path, options.maxLineBytes));
      if (source) {
        candidates.push({ index, file, local, source });
      } else {
        await readLines(index, file, local);
      }
      hooks.metrics?.fileStaged(file.size);
      if (resumable) {
        progress.filesStaged = index + 1;
        progress.fingerprint = fingerprint(files.slice(0, index + 1));
      }
      const pause = hooks.faults?.delayAfterFileMs?.(hooks.partitionKey, index) ?? 0;
      if (pause > 0) await hooks.sleep(pause);
      index++;
    }
    const read = await readFast(
      conn,
      spec,
      candidates.map((c) => ({ path: c.local.path, display: c.file.name, source: c.source })),
      options.maxLineBytes,
      hooks.signal,
    );
    read.keys.forEach((k) => keys?.add(k));
    for (const [i, c] of candidates.entries()) {
      if (read.taken.has(i)) {
        hooks.metrics?.fileRead?.('fast', c.source.format);
        const { name, size, etag } = c.file;
        hooks.log.debug({ file: name, bytes: size, etag, index: c.index, fast: true }, 'file staged');
        await removeTemporary(c.local);
      } else await readLines(c.index, c.file, c.local);
    }
    if (resumable) await run(conn, sql.loadRecords(stagedFilesGlob(resume.dir)));
    const sorted = keys && byteOrder([...keys]);
    return {
      reused: reusable,
      ...(sorted ? { keys: sorted } : {}),
      fast: { files: read.taken.size, keys: read.keys },
    };
  } finally {
    await rm(attemptDir, { recursive: true, force: true });
  }
}

type Materialized = Awaited<ReturnType<typeof materialize>>;

const removeTemporary = (local: Materialized) =>
  Promise.all(local.temporary.map((f) => rm(f, { force: true })));
