/**
 * Check outcomes carried through continue-as-new, compact: only the outcomes that fired, each a
 * positional array naming its check by index in the spec (whose checks a run never changes), with
 * the message and samples for the first DETAILED_PARTITIONS partitions that have any. A succeeded
 * partition without an entry passed every check: its outcomes are rebuilt from the spec. Positions
 * are the wire format: they only ever grow.
 */
import { MAX_SAMPLES, boundedOutcomes } from '../common/check-summary';
import type { CheckSpec } from '../common/spec/checks';
import type { CheckOutcome, CheckResultKind, PartitionStats } from '../common/types';

/**
 * The check kinds by key, typed against CheckOutcome's: a kind added there fails to compile here.
 * (common/spec/checks.ts has them too, but it imports zod, which the workflow sandbox does not take.)
 */
const KIND_KEYS: Record<CheckOutcome['kind'], true> = {
  notNull: true,
  unique: true,
  acceptedValues: true,
  range: true,
  pattern: true,
  expression: true,
  rowCount: true,
  freshness: true,
  maxRejectedShare: true,
};
const kindOf = (check: CheckSpec) =>
  (Object.keys(KIND_KEYS) as CheckOutcome['kind'][]).find((k) => check[k] !== undefined) ?? 'expression';

const OUTCOME_CODES: CheckResultKind[] = ['passed', 'warned', 'dropped', 'failed'];

/** [check index, outcome code, violations, checked, observed | null, message?, samples?] */
export type CarriedCheck = [number, number, number, number, number | null, string?, string[]?];

/** Partitions whose fired checks keep their message and samples; the rest keep counts. */
export const DETAILED_PARTITIONS = 200;
/** Partitions whose fired checks are carried at all: past them, a partition's outcomes are not known after continue-as-new. */
export const CARRIED_PARTITIONS = 5000;
const SAMPLE_CHARS = 60;

export function encodeChecks(
  outcomes: readonly CheckOutcome[],
  checks: readonly CheckSpec[],
  detailed: boolean,
): CarriedCheck[] {
  const carried: CarriedCheck[] = [];
  for (const o of outcomes) {
    const index = checks.findIndex((c) => c.name === o.name);
    if (index < 0 || o.outcome === 'passed') continue;
    const entry: CarriedCheck = [
      index,
      OUTCOME_CODES.indexOf(o.outcome),
      o.violations,
      o.checked,
      o.observed ?? null,
    ];
    if (detailed)
      entry.push(
        o.message.slice(0, 200),
        o.samples.slice(0, MAX_SAMPLES).map((s) => s.slice(0, SAMPLE_CHARS)),
      );
    carried.push(entry);
  }
  return carried;
}

/**
 * A partition's outcomes back: the carried ones, and for a succeeded partition every other check
 * of the spec as passed (over the rows it accepted).
 */
export function decodeChecks(
  carried: CarriedCheck[] | undefined,
  checks: readonly CheckSpec[],
  partition: { status: string; stats?: PartitionStats },
): CheckOutcome[] | undefined {
  if (!checks.length) return undefined;
  const fired = new Map((carried ?? []).map((c) => [c[0], c]));
  if (!carried && partition.status !== 'succeeded') return undefined;
  const outcomes: CheckOutcome[] = [];
  checks.forEach((check, index) => {
    const c = fired.get(index);
    const base = { name: check.name, kind: kindOf(check), action: check.action };
    if (!c) {
      if (partition.status !== 'succeeded') return;
      const checked = partition.stats?.rowsAccepted ?? 0;
      outcomes.push({ ...base, outcome: 'passed', violations: 0, checked, samples: [], message: 'passed' });
      return;
    }
    const [, code, violations, checked, observed, message, samples] = c;
    outcomes.push({
      ...base,
      outcome: OUTCOME_CODES[code] ?? 'failed',
      violations,
      checked,
      ...(observed === null ? {} : { observed }),
      samples: samples ?? [],
      message: message ?? `${violations} of ${checked} rows violate the check`,
    });
  });
  return boundedOutcomes(outcomes);
}
