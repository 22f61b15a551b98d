/**
 * Per-file resume: each staged file is kept as Parquet in the attempt's resume dir, and the
 * heartbeat carries how many are staged and a fingerprint of their sources, so a retry after a crash
 * reads only the files the interrupted attempt had not finished.
 */
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { SourceFile } from '../sources';

/** Heartbeat details: how far staging got, so a retry can resume (see reusableFiles). */
export interface LoadProgress {
  stage: string;
  filesStaged: number;
  /** Identifies the staged files (names, sizes, ETags), so a changed source is never resumed from. */
  fingerprint: string;
}

export const stagedFile = (dir: string, index: number) =>
  path.join(dir, `${String(index).padStart(7, '0')}.parquet`);

/** Every staged file of the partition, in file order. */
export const stagedFilesGlob = (dir: string) => path.join(dir, '*.parquet');

export function fingerprint(files: SourceFile[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.name}\0${f.size}\0${f.etag ?? ''}\n`);
  return hash.digest('hex');
}

/** How many leading files the interrupted attempt staged that are still the same and still on disk. */
export async function reusableFiles(
  previous: LoadProgress | undefined,
  files: SourceFile[],
  dir: string,
): Promise<number> {
  const count = previous?.filesStaged ?? 0;
  if (count === 0 || count > files.length || previous?.fingerprint !== fingerprint(files.slice(0, count)))
    return 0;
  for (let i = 0; i < count; i++) {
    try {
      await access(stagedFile(dir, i));
    } catch {
      return i;
    }
  }
  return count;
}
