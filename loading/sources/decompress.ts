/**
 * Gzip files are decompressed here rather than by DuckDB: DuckDB's CSV reader stops quietly at the
 * end of a truncated gzip stream (the rest of the file would be lost without an error), while
 * zlib fails with "unexpected end of file".
 */
import { createReadStream, createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export const isGzip = (name: string) => /\.gz$/i.test(name);

/** Decompresses a .gz file into workDir; returns the path of the plain file (same name without .gz). */
export async function gunzipInto(
  localPath: string,
  workDir: string,
  index: number,
  signal?: AbortSignal,
): Promise<string> {
  const plain = path.join(workDir, `${index}-${path.basename(localPath).replace(/\.gz$/i, '')}`);
  await pipeline(
    createReadStream(localPath),
    createGunzip(),
    createWriteStream(plain),
    signal ? { signal } : {},
  );
  return plain;
}
