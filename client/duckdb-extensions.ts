/**
 * Provisioning of the DuckDB extensions (`node dist/client/tools.js duckdb-extensions`, part of
 * `npm run tools`, CI, `npm test` and the Docker build), idempotent and cached in the extension
 * directory. First DuckDB's own `INSTALL` (its extension repository; bounded in time, since
 * machines without internet fail it or hang), else the same signed binaries from PyPI, where
 * DuckDB publishes each one as `duckdb-extension-<name>`: the wheel is fetched with pip (never
 * installed or imported) and the one `.duckdb_extension` file taken out of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  LAKE_EXTENSIONS,
  engineVersion,
  extensionDirectory,
  extensionFile,
  missingExtensions,
} from '../loading/duckdb-extensions';

const INSTALL_TIMEOUT_MS = 30_000;

/** PyPI package of an extension: underscores become dashes (`postgres_scanner` → `…-postgres-scanner`). */
export const wheelPackage = (name: string) => `duckdb-extension-${name.replaceAll('_', '-')}`;

/**
 * Makes sure every named extension is in the directory; returns the ones it had to install.
 * Throws one line naming what failed when an extension can be had neither way.
 */
export function ensureDuckdbExtensions(
  names: readonly string[] = LAKE_EXTENSIONS,
  directory: string = extensionDirectory(),
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): string[] {
  const missing = missingExtensions(names, directory);
  if (missing.length === 0) return [];
  log(`installing DuckDB extensions ${missing.join(', ')} (${engineVersion()}) into ${directory}...`);
  const viaInstall = installWithDuckdb(missing, directory);
  const left = missingExtensions(missing, directory);
  if (left.length < missing.length)
    log(`  from DuckDB's repository: ${missing.filter((n) => !left.includes(n)).join(', ')}`);
  if (left.length > 0) {
    log(`  DuckDB's repository is not reachable (${viaInstall}); fetching the PyPI wheels instead`);
    for (const name of left) fetchFromWheel(name, directory);
  }
  return missing;
}

/** `INSTALL` in a child process, so a connection that hangs is killed at the timeout. */
function installWithDuckdb(names: readonly string[], directory: string): string {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    (async () => {
      const db = await DuckDBInstance.create(':memory:', { extension_directory: process.argv[1] });
      const connection = await db.connect();
      for (const name of process.argv.slice(2)) await connection.run('INSTALL "' + name + '"');
    })().catch((error) => { process.stderr.write(String(error.message).split('\\n')[0]); process.exit(1); });`;
  const child = spawnSync(process.execPath, ['-e', script, directory, ...names], {
    cwd: path.resolve(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
  });
  if (child.error) return child.error.message;
  return child.status === 0 ? 'installed' : child.stderr.trim() || `exit ${child.status}`;
}

function fetchFromWheel(name: string, directory: string): void {
  const pin = `${wheelPackage(name)}==${engineVersion().replace(/^v/, '')}`;
  const download = mkdtempSync(path.join(tmpdir(), 'duckdb-extension-'));
  try {
    const pip = spawnSync(
      'python3',
      ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '-d', download, pin],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (pip.error || pip.status !== 0)
      throw new Error(
        `cannot fetch ${pin} with pip (${pip.error?.message ?? lastLine(pip.stderr)}); ` +
          `install python3 and pip, or put ${name}.duckdb_extension in ${path.dirname(extensionFile(name, directory))}`,
      );
    const [wheel] = readdirSync(download).filter((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`pip fetched no wheel for ${pin}`);
    const target = extensionFile(name, directory);
    mkdirSync(path.dirname(target), { recursive: true });
    // A wheel is a zip; Python's zipfile (pip's own) takes the one file out, no unzip tool needed.
    const partial = `${target}.${process.pid}.partial`;
    execFileSync('python3', [
      '-c',
      EXTRACT,
      path.join(download, wheel),
      `/${name}.duckdb_extension`,
      partial,
    ]);
    renameSync(partial, target); // atomic: a concurrent provisioning never sees half a file
  } finally {
    rmSync(download, { recursive: true, force: true });
  }
}

const EXTRACT = `
import shutil, sys, zipfile
wheel, suffix, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    [member] = [n for n in z.namelist() if n.endswith(suffix)]
    with z.open(member) as src, open(out, 'wb') as dst:
        shutil.copyfileobj(src, dst)
`;

const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';
