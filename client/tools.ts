/**
 * Provisioning of the external binaries the embedded setup needs, pinned in one place.
 * Order: a binary on PATH, then one in the git-ignored .tools/bin, then a build from the Go module
 * (minutes once, then Go's cache makes it seconds). The Temporal CLI has a last fallback, the SDK's
 * own download, which needs internet. DuckDB's extensions, pinned by the engine's version, are
 * provisioned alongside (client/duckdb-extensions.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { extensionDirectory } from '../loading/duckdb-extensions';
import { ensureDuckdbExtensions } from './duckdb-extensions';

export const TOOL_VERSIONS = {
  // Tags from v1.6 on carry `replace` directives, which `go install` refuses.
  temporal: { module: 'github.com/temporalio/cli/cmd/temporal', version: 'v1.5.1', binary: 'temporal' },
  // MinIO stopped publishing semver tags; this pseudo-version is the pin.
  minio: { module: 'github.com/minio/minio', version: 'v0.0.0-20260212201848-7aac2a2c5b7c', binary: 'minio' },
} as const;

export type ToolName = keyof typeof TOOL_VERSIONS;

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');

function onPath(binary: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const resolved = found.stdout.trim();
  return found.status === 0 && resolved ? resolved : undefined;
}

/** Path of the tool's binary, or undefined when it must be built or downloaded. */
export function findTool(name: ToolName): string | undefined {
  const envOverride = process.env[`BACKFILL_${name.toUpperCase()}_BIN`];
  if (envOverride && existsSync(envOverride)) return envOverride;
  const local = path.join(TOOLS_BIN, TOOL_VERSIONS[name].binary);
  if (existsSync(local)) return local;
  return onPath(TOOL_VERSIONS[name].binary);
}

export const hasGo = () => onPath('go') !== undefined;

/** Finds or builds the tool; returns undefined only when neither a binary nor Go is available. */
export function ensureTool(
  name: ToolName,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
) {
  const found = findTool(name);
  if (found) return found;
  if (!hasGo()) return undefined;
  const { module, version, binary } = TOOL_VERSIONS[name];
  log(`building ${binary} ${version} from ${module} into ${TOOLS_BIN} (takes minutes once, then cached)...`);
  execFileSync('go', ['install', `${module}@${version}`], {
    env: { ...process.env, GOBIN: TOOLS_BIN },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return path.join(TOOLS_BIN, binary);
}

if (require.main === module) {
  // `node dist/client/tools.js temporal minio duckdb-extensions` provisions ahead of time (CI, Docker builds).
  const names = process.argv.slice(2).length ? process.argv.slice(2) : ['temporal'];
  for (const name of names) {
    if (name === 'duckdb-extensions') {
      try {
        ensureDuckdbExtensions();
        process.stdout.write(`duckdb-extensions: ${extensionDirectory()}\n`);
      } catch (error) {
        process.stderr.write(`duckdb-extensions: ${(error as Error).message}\n`);
        process.exit(1);
      }
      continue;
    }
    if (!(name in TOOL_VERSIONS)) {
      process.stderr.write(
        `unknown tool "${name}" (known: ${[...Object.keys(TOOL_VERSIONS), 'duckdb-extensions'].join(', ')})\n`,
      );
      process.exit(2);
    }
    const bin = ensureTool(name as ToolName);
    process.stdout.write(
      `${name}: ${bin ?? 'not available (no binary and no Go); the SDK download will be tried'}\n`,
    );
  }
}
