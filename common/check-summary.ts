/**
 * Check outcomes for people and for carried state: one short summary per partition (the CHECKS
 * column, the UI's details), and the bounds every carried copy keeps (samples and messages cut,
 * outcomes per partition capped), so a partition's outcomes never grow a payload without limit.
 * Pure and workflow-safe.
 */
import type { CheckOutcome } from './types';

/** Outcomes kept per partition in the parent's state (the spec allows more checks than that). */
export const MAX_OUTCOMES = 50;
export const MAX_SAMPLES = 5;
export const MAX_SAMPLE_CHARS = 200;
export const MAX_MESSAGE_CHARS = 500;

/** One partition's outcomes, cut to the bounds. */
export function boundedOutcomes(outcomes: readonly CheckOutcome[]): CheckOutcome[] {
  return outcomes.slice(0, MAX_OUTCOMES).map((o) => ({
    ...o,
    samples: o.samples.slice(0, MAX_SAMPLES).map((s) => s.slice(0, MAX_SAMPLE_CHARS)),
    message: o.message.slice(0, MAX_MESSAGE_CHARS),
  }));
}

/**
 * `2 ok, 1 warn, 1 drop(12)`; a failed check names itself: `FAIL volume` (`FAIL volume, amount +1 ok`).
 * Empty when the partition has no outcomes.
 */
export function checksSummary(outcomes: readonly CheckOutcome[] | undefined): string {
  if (!outcomes?.length) return '';
  const failed = outcomes.filter((o) => o.outcome === 'failed').map((o) => o.name);
  if (failed.length) return `FAIL ${failed.join(', ')}`;
  const passed = outcomes.filter((o) => o.outcome === 'passed').length;
  const warned = outcomes.filter((o) => o.outcome === 'warned').length;
  const dropped = outcomes.filter((o) => o.outcome === 'dropped');
  const rows = dropped.reduce((n, o) => n + o.violations, 0);
  return [
    ...(passed ? [`${passed} ok`] : []),
    ...(warned ? [`${warned} warn`] : []),
    ...(dropped.length ? [`${dropped.length} drop(${rows})`] : []),
  ].join(', ');
}

/** Whether a partition's outcomes say something beyond "all passed" (listed in the UI's details). */
export const hasFindings = (outcomes: readonly CheckOutcome[] | undefined) =>
  (outcomes ?? []).some((o) => o.outcome !== 'passed');

/** The outcomes that fired, one line each: `volume (warn): 12 of 400 rows ... (sample: a, b)`. */
export function findingLines(outcomes: readonly CheckOutcome[] | undefined, max = 10): string[] {
  return (outcomes ?? [])
    .filter((o) => o.outcome !== 'passed')
    .slice(0, max)
    .map((o) => `${o.name} (${o.outcome}): ${o.message}`.slice(0, 300));
}
