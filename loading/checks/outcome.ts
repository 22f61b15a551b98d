/**
 * From what a check measured to its outcome: thresholds, actions and the one-line messages. Pure,
 * so the rules read in one place (and unit tests cover them without DuckDB).
 *
 * Row checks: violations > threshold fires warn/fail (threshold: maxViolations, else
 * maxViolationShare × rows checked rounded down, else 0). drop always drops the violating rows, and
 * fails the partition when a threshold is set and the violations exceed it.
 * Partition checks fire when the measure is outside its bound: warn records it, fail fails.
 */
import { kindOf, type CheckSpec } from '../../common/spec';
import type { CheckOutcome, CheckResultKind } from '../../common/types';

/** Samples in a message are cut to keep it one readable line. */
const MESSAGE_SAMPLE_CHARS = 60;

const oneLine = (text: string) => text.replace(/[\r\n\t]+/g, ' ');

/** What a row check asserts, for messages: `"region" in (EU, US)`, the expression, ... */
export function describeRowCheck(check: CheckSpec): string {
  const q = (c: string) => JSON.stringify(c);
  if (check.notNull) return `${q(check.notNull.column)} is not null`;
  if (check.unique) return `unique (${check.unique.columns.map(q).join(', ')})`;
  if (check.acceptedValues) {
    const values = check.acceptedValues.values.map(String);
    const shown = values.slice(0, 5).join(', ') + (values.length > 5 ? `, … (${values.length} values)` : '');
    return `${q(check.acceptedValues.column)} in (${shown})`;
  }
  if (check.range) {
    const { column, min, max } = check.range;
    if (min !== undefined && max !== undefined) return `${min} <= ${q(column)} <= ${max}`;
    return min !== undefined ? `${q(column)} >= ${min}` : `${q(column)} <= ${max}`;
  }
  if (check.pattern) return `${q(check.pattern.column)} matches /${check.pattern.regex}/`;
  return oneLine(check.expression ?? '');
}

export const thresholdOf = (check: CheckSpec, checked: number): number | undefined =>
  check.maxViolations ??
  (check.maxViolationShare !== undefined ? Math.floor(check.maxViolationShare * checked) : undefined);

export function rowOutcome(
  check: CheckSpec,
  violations: number,
  checked: number,
  samples: string[],
): CheckOutcome {
  const threshold = thresholdOf(check, checked);
  const over = violations > (threshold ?? 0);
  let outcome: CheckResultKind = 'passed';
  if (check.action === 'drop') {
    if (threshold !== undefined && violations > threshold) outcome = 'failed';
    else if (violations > 0) outcome = 'dropped';
  } else if (over) outcome = check.action === 'warn' ? 'warned' : 'failed';
  const tolerated = threshold !== undefined ? ` (at most ${threshold} allowed)` : '';
  return {
    name: check.name,
    kind: kindOf(check),
    action: check.action,
    outcome,
    violations,
    checked,
    samples,
    message: `${violations} of ${checked} rows violate ${describeRowCheck(check)}${tolerated}`,
  };
}

/** A partition check's outcome: `problem` says how the measure misses its bound, undefined when it passes. */
export function partitionOutcome(
  check: CheckSpec,
  checked: number,
  observed: number,
  message: string,
  problem: string | undefined,
): CheckOutcome {
  return {
    name: check.name,
    kind: kindOf(check),
    action: check.action,
    outcome: problem === undefined ? 'passed' : check.action === 'warn' ? 'warned' : 'failed',
    violations: problem === undefined ? 0 : 1,
    checked,
    samples: [],
    observed,
    message: problem ?? message,
  };
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, ''));

/** rowCount: absolute bounds, and relative ones against the median of the target's other partitions. */
export function rowCountOutcome(check: CheckSpec, rows: number, median?: number | null): CheckOutcome {
  const { min, max, relativeMin, relativeMax } = check.rowCount!;
  const relative = relativeMin !== undefined || relativeMax !== undefined;
  let problem: string | undefined;
  if (min !== undefined && rows < min) problem = `row count ${rows} is below min ${min}`;
  else if (max !== undefined && rows > max) problem = `row count ${rows} is above max ${max}`;
  let observed = rows;
  let note = '';
  if (relative && median !== undefined) {
    if (median === null || median <= 0) note = ', no other partition in the target to compare with';
    else {
      const ratio = rows / median;
      observed = ratio;
      note = `, ${fmt(ratio)}x the median ${fmt(median)} of the other partitions`;
      if (problem === undefined && relativeMin !== undefined && ratio < relativeMin)
        problem = `row count ${rows} is ${fmt(ratio)}x the median ${fmt(median)} of the other partitions, below ${fmt(relativeMin)}x`;
      else if (problem === undefined && relativeMax !== undefined && ratio > relativeMax)
        problem = `row count ${rows} is ${fmt(ratio)}x the median ${fmt(median)} of the other partitions, above ${fmt(relativeMax)}x`;
    }
  }
  return partitionOutcome(check, rows, observed, `row count ${rows} within bounds${note}`, problem);
}

export function freshnessOutcome(
  check: CheckSpec,
  rows: number,
  covered: number,
  units: number,
  unit: string,
): CheckOutcome {
  const coverage = units > 0 ? covered / units : 0;
  const min = check.freshness!.minCoverage;
  const measured = `${covered} of ${units} ${unit}s have rows (coverage ${fmt(coverage)})`;
  return partitionOutcome(
    check,
    rows,
    coverage,
    measured,
    coverage < min ? `${measured}, below ${fmt(min)}` : undefined,
  );
}

export function rejectedShareOutcome(check: CheckSpec, read: number, rejected: number): CheckOutcome {
  const share = read > 0 ? rejected / read : 0;
  const bound = check.maxRejectedShare!;
  const measured = `${rejected} of ${read} records rejected (share ${fmt(share)})`;
  return partitionOutcome(
    check,
    read,
    share,
    measured,
    share > bound ? `${measured}, above ${fmt(bound)}` : undefined,
  );
}

/**
 * The failure of a partition whose checks failed: one line naming the first failed check, its count
 * and a sample, e.g. `check "x" failed: 12 of 4000 rows violate amount >= 0 (sample: -1, -5)`.
 */
export function failureMessage(outcomes: CheckOutcome[]): string | undefined {
  const failed = outcomes.filter((o) => o.outcome === 'failed');
  const first = failed[0];
  if (!first) return undefined;
  const samples = first.samples.length
    ? ` (sample: ${first.samples
        .slice(0, 2)
        .map((s) => oneLine(s.length > MESSAGE_SAMPLE_CHARS ? `${s.slice(0, MESSAGE_SAMPLE_CHARS)}…` : s))
        .join(', ')})`
    : '';
  const more = failed.length > 1 ? `; ${failed.length - 1} more check(s) failed` : '';
  return `check ${JSON.stringify(oneLine(first.name))} failed: ${oneLine(first.message)}${samples}${more}`;
}
