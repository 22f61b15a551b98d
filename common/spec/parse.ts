/** Validating a raw spec: the parsed value, or every problem with its field path; and the warnings. */
import { countPartitions } from '../partitions';
import { BackfillSpecSchema, DEPRECATED_WRITE_MODES, type BackfillSpec } from './schema';

/** A spec that failed validation: every issue with its field path, ready to print. */
export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `invalid backfill spec: ${problems[0]}`
        : `invalid backfill spec (${problems.length} problems):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'SpecError';
  }
}

export function formatIssuePath(pathParts: readonly PropertyKey[]): string {
  return pathParts
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

export function parseSpec(value: unknown): BackfillSpec {
  const result = BackfillSpecSchema.safeParse(value);
  if (!result.success) {
    throw new SpecError(
      result.error.issues.map((issue) => `${formatIssuePath(issue.path) || '(spec)'}: ${issue.message}`),
    );
  }
  return result.data;
}

/** Number of partitions the spec plans (explicit list or the whole range). */
export function partitionCount(spec: BackfillSpec): number {
  return spec.partitions?.length ?? countPartitions(spec.range.from, spec.range.to, spec.range.granularity);
}

/**
 * Lines to show the user about a raw spec that is valid but worded the old way (one per old
 * spelling). The CLI prints them to stderr; the spec still loads.
 */
export function specWarnings(value: unknown): string[] {
  const mode = (value as { target?: { writeMode?: unknown } } | undefined)?.target?.writeMode;
  if (typeof mode === 'string' && Object.hasOwn(DEPRECATED_WRITE_MODES, mode)) {
    const now = DEPRECATED_WRITE_MODES[mode]!;
    return [
      `warning: target.writeMode "${mode}" is deprecated and loads as "${now}" (it replaces the partition's rows); write writeMode: ${now}`,
    ];
  }
  return [];
}

/** parseSpec, and the warnings about the raw value (see specWarnings). */
export function parseSpecWithWarnings(value: unknown): { spec: BackfillSpec; warnings: string[] } {
  return { spec: parseSpec(value), warnings: specWarnings(value) };
}
