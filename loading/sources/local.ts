/** Local-disk source: a partition is a directory under the source uri, listed recursively. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BackfillSpec } from '../../common/spec';
import { isDataFile, partitionPrefix, type SourceFile } from './files';

/** Lists a local partition directory recursively, sorted by name; a missing directory has no files. */
export async function listLocalFiles(spec: BackfillSpec, partitionKey: string): Promise<SourceFile[]> {
  const root = path.resolve(spec.source.uri);
  const dir = path.resolve(root, partitionPrefix(spec, partitionKey));
  if (dir !== root && !dir.startsWith(root + path.sep))
    throw new Error(`partition path escapes the source: ${dir}`);
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: SourceFile[] = [];
  for (const entry of entries.sort()) {
    if (!entry.split(path.sep).every(isDataFile)) continue;
    const uri = path.join(dir, entry);
    const info = await stat(uri);
    if (!info.isFile()) continue;
    files.push({ name: path.relative(root, uri), uri, size: info.size });
  }
  return files;
}
