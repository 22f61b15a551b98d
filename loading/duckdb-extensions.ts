/**
 * Where the DuckDB extensions a destination needs (DuckLake and what it reaches through) are found
 * at run time, and how they are loaded. DuckDB only loads an extension built for its exact version
 * and platform, and verifies its signature; the project's tool step (`npm run tools`) puts the
 * matching signed binaries in a git-ignored directory, and instances that need them point
 * `extension_directory` at it. Unsigned extensions are never allowed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { version, type DuckDBConnection } from '@duckdb/node-api';

/** The extensions a DuckLake on object storage with a PostgreSQL catalog loads. */
export const LAKE_EXTENSIONS = ['ducklake', 'httpfs', 'postgres_scanner'] as const;
export type DuckDbExtension = (typeof LAKE_EXTENSIONS)[number];

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** The extension directory: `BACKFILL_DUCKDB_EXTENSION_DIR`, else `.tools/duckdb-extensions`. */
export function extensionDirectory(): string {
  return process.env.BACKFILL_DUCKDB_EXTENSION_DIR ?? path.join(PROJECT_ROOT, '.tools', 'duckdb-extensions');
}

/** The engine version extensions must match, as DuckDB names it (`v1.5.5`). */
export const engineVersion = (): string => version();

const ARCHES: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };
const SYSTEMS: Partial<Record<string, string>> = { linux: 'linux', darwin: 'osx', win32: 'windows' };

/**
 * DuckDB's platform name (what `PRAGMA platform` says) for a Node platform and architecture;
 * Linux on musl (Alpine) has binaries of its own.
 */
export function duckdbPlatform(
  platform: string = process.platform,
  arch: string = process.arch,
  musl: boolean = platform === 'linux' && !glibc(),
): string {
  const system = SYSTEMS[platform];
  const cpu = ARCHES[arch];
  if (!system || !cpu) throw new Error(`DuckDB publishes no extensions for ${platform}/${arch}`);
  return `${system}_${cpu}${musl ? '_musl' : ''}`;
}

function glibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return Boolean(report?.header?.glibcVersionRuntime);
}

/** The file DuckDB looks for when it loads `name` from `directory`. */
export function extensionFile(name: string, directory: string = extensionDirectory()): string {
  return path.join(directory, engineVersion(), duckdbPlatform(), `${name}.duckdb_extension`);
}

/** An extension the destination needs is not installed: a configuration error, not transient. */
export class MissingExtensionError extends Error {
  constructor(
    readonly extension: string,
    readonly directory: string,
  ) {
    super(
      `DuckDB extension ${extension} (${engineVersion()}, ${duckdbPlatform()}) is not installed in ${directory}: ` +
        'run `npm run tools` (or `node dist/client/tools.js duckdb-extensions`) to install it',
    );
    this.name = 'MissingExtensionError';
  }
}

/**
 * Settings for a DuckDB instance that loads the extensions: the provisioned directory, and no
 * automatic download at run time (a worker that silently reaches for the internet mid-load would
 * fail late and slowly; provisioning is the tool step's job).
 */
export function extensionSettings(directory: string = extensionDirectory()): Record<string, string> {
  return { extension_directory: directory, autoinstall_known_extensions: 'false' };
}

/** Names of the given extensions that are not installed in the directory. */
export function missingExtensions(
  names: readonly string[] = LAKE_EXTENSIONS,
  directory: string = extensionDirectory(),
): string[] {
  return names.filter((name) => !existsSync(extensionFile(name, directory)));
}

/**
 * Loads the extensions on a connection of an instance made with `extensionSettings`; a missing
 * one is a `MissingExtensionError` (one line saying how to install it) before DuckDB is asked.
 */
export async function loadExtensions(
  connection: DuckDBConnection,
  names: readonly DuckDbExtension[] = LAKE_EXTENSIONS,
  directory: string = extensionDirectory(),
): Promise<void> {
  const [missing] = missingExtensions(names, directory);
  if (missing) throw new MissingExtensionError(missing, directory);
  // Extension names are this module's constants, but quoted all the same.
  for (const name of names) await connection.run(`LOAD "${name.replaceAll('"', '""')}"`);
}
