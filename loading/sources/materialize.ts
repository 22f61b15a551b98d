/** A source file made readable by DuckDB: downloaded (S3) and gunzipped into the attempt's work dir. */
import { BackfillError } from '../../common/failures';
import type { BackfillSpec } from '../../common/spec';
import { gunzipInto, isGzip } from './decompress';
import type { SourceFile } from './files';
import type { Source } from './index';

/** A file readable by DuckDB, and the temporary copies (download, gunzip) to remove once staged. */
export async function materialize(
  source: Source,
  spec: BackfillSpec,
  file: SourceFile,
  workDir: string,
  index: number,
  signal: AbortSignal,
): Promise<{ path: string; temporary: string[] }> {
  try {
    const local = await source.materialize(spec, file, workDir, signal);
    const plain = isGzip(file.name) ? await gunzipInto(local, workDir, index, signal) : local;
    const temporary = [local, plain].filter((f, i, all) => f.startsWith(workDir) && all.indexOf(f) === i);
    return { path: plain, temporary };
  } catch (err) {
    if (err instanceof BackfillError) throw err;
    throw new BackfillError('SourceReadError', `cannot read ${file.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
