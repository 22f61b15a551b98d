/** Spec files (YAML or JSON) and CLI overrides, applied to the raw value before validation. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SpecError } from './parse';

/** Reads a YAML or JSON spec file; relative local paths in it are resolved against the file's folder. */
export function loadSpecFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecError([
      `cannot read spec file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    ]);
  }
  let value: unknown;
  try {
    value = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new SpecError([
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    ]);
  }
  return resolveRelativePaths(value, path.dirname(path.resolve(file)));
}

function resolveRelativePaths(value: unknown, baseDir: string): unknown {
  if (!value || typeof value !== 'object') return value;
  const spec = structuredClone(value) as {
    source?: { uri?: unknown };
    target?: { path?: unknown; dataPath?: unknown; catalog?: unknown };
  };
  const uri = spec.source?.uri;
  if (typeof uri === 'string' && !uri.includes('://') && !path.isAbsolute(uri)) {
    spec.source!.uri = path.resolve(baseDir, uri);
  }
  const target = spec.target?.path;
  if (typeof target === 'string' && !path.isAbsolute(target)) {
    spec.target!.path = path.resolve(baseDir, target);
  }
  // A DuckLake's local data directory and local catalog file, like a DuckDB target's path.
  for (const field of ['dataPath', 'catalog'] as const) {
    const value = spec.target?.[field];
    if (typeof value === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(value) && !path.isAbsolute(value))
      spec.target![field] = path.resolve(baseDir, value);
  }
  return spec;
}

/** Applies `a.b.c=value` style overrides (CLI flags) to a raw spec before validation. */
export function applyOverrides(value: unknown, overrides: Record<string, unknown>): unknown {
  const spec = structuredClone((value ?? {}) as Record<string, unknown>);
  for (const [dotted, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    const parts = dotted.split('.');
    let node: Record<string, unknown> = spec;
    for (const part of parts.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts.at(-1)!] = v;
  }
  return spec;
}
