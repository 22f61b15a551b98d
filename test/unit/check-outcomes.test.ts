/**
 * Check outcomes on their way to people: the CHECKS summary, the carried state through
 * continue-as-new (bounded, rebuilt from the spec), a failed partition's outcomes from its
 * failure, the status table's column and the UI's details of the parent and of a child.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boundedOutcomes, checksSummary, MAX_OUTCOMES } from '../../common/check-summary';
import { planPartitionKeys } from '../../common/partitions';
import { parseSpec } from '../../common/spec';
import { emptyStats, type CheckOutcome, type PartitionStats } from '../../common/types';
import { partitionTable } from '../../client/render';
import { partitionsFromChildren } from '../../client/run-merge';
import { applyOutcomes } from '../../workflows/child-runs';
import { renderDetails, renderPartitionDetails } from '../../workflows/details';
import {
  decodeState,
  encodeState,
  progressOf,
  type BackfillState,
  type PartitionState,
} from '../../workflows/state';
import { transactionsSpecInput } from '../../testkit/specs';

const outcome = (o: Partial<CheckOutcome> & Pick<CheckOutcome, 'name' | 'outcome'>): CheckOutcome => ({
  kind: 'expression',
  action: 'warn',
  violations: 0,
  checked: 400,
  samples: [],
  message: o.outcome === 'passed' ? 'passed' : `${o.violations ?? 0} of 400 rows violate amount >= 0`,
  ...o,
});

const spec = parseSpec({
  ...transactionsSpecInput({
    name: 'checks',
    source: '/tmp/none',
    target: '/tmp/none.duckdb',
    from: '2020-01',
    to: '2021-12',
  }),
  checks: [
    { name: 'amount_non_negative', expression: 'amount >= 0', action: 'drop' },
    { name: 'volume', rowCount: { relativeMin: 0.5 }, action: 'warn' },
    { name: 'currency_known', acceptedValues: { column: 'currency', values: ['EUR', 'USD', 'GBP', 'JPY'] } },
  ],
});

const stats = (checks: CheckOutcome[]): PartitionStats => ({
  ...emptyStats(),
  files: 2,
  rowsRead: 400,
  rowsAccepted: 388,
  rowsRejected: 12,
  attempts: 1,
  checks,
});

describe('check outcomes', () => {
  it('summarises a partition in a few words, a failure by the failed checks’ names', () => {
    assert.equal(checksSummary(undefined), '');
    assert.equal(
      checksSummary([
        outcome({ name: 'a', outcome: 'passed' }),
        outcome({ name: 'b', outcome: 'passed' }),
        outcome({ name: 'c', outcome: 'warned', violations: 3 }),
        outcome({ name: 'd', outcome: 'dropped', violations: 12, action: 'drop' }),
      ]),
      '2 ok, 1 warn, 1 drop(12)',
    );
    assert.equal(
      checksSummary([
        outcome({ name: 'volume', outcome: 'failed' }),
        outcome({ name: 'a', outcome: 'passed' }),
      ]),
      'FAIL volume',
    );
  });

  it('bounds what a partition carries: samples, their length and the number of outcomes', () => {
    const many = Array.from({ length: MAX_OUTCOMES + 10 }, (_, i) =>
      outcome({
        name: `c${i}`,
        outcome: 'warned',
        samples: Array.from({ length: 9 }, () => 'x'.repeat(500)),
      }),
    );
    const bounded = boundedOutcomes(many);
    assert.equal(bounded.length, MAX_OUTCOMES);
    assert.equal(bounded[0]!.samples.length, 5);
    assert.equal(bounded[0]!.samples[0]!.length, 200);
  });

  it('a child’s outcomes reach the partition, a failed one’s from its failure', () => {
    const batch: PartitionState[] = [
      { key: '2020-01', status: 'running', runs: 1 },
      { key: '2020-02', status: 'running', runs: 1 },
    ];
    const failedChecks = [outcome({ name: 'volume', outcome: 'failed', kind: 'rowCount', action: 'fail' })];
    applyOutcomes(batch, {
      '2020-01': {
        status: 'succeeded',
        ...stats([outcome({ name: 'amount_non_negative', outcome: 'passed' })]),
      },
      '2020-02': {
        status: 'failed',
        error: 'CheckFailedError: check "volume" failed',
        failureType: 'CheckFailedError',
        attempts: 1,
        checks: failedChecks,
      },
    });
    assert.equal(batch[0]!.stats?.checks?.[0]?.name, 'amount_non_negative');
    assert.equal(batch[1]!.status, 'failed');
    assert.deepEqual(batch[1]!.stats?.checks, failedChecks);
  });

  it('survive continue-as-new: fired ones carried compactly, passed ones rebuilt from the spec', () => {
    const keys = planPartitionKeys('2020-01', '2021-12', 'month');
    const fired: CheckOutcome[] = [
      outcome({
        name: 'amount_non_negative',
        outcome: 'dropped',
        action: 'drop',
        violations: 12,
        samples: ['-5.00'],
      }),
      outcome({ name: 'volume', kind: 'rowCount', outcome: 'passed', observed: 388 }),
      outcome({ name: 'currency_known', kind: 'acceptedValues', action: 'fail', outcome: 'passed' }),
    ];
    const state: BackfillState = {
      partitions: keys.map((key, i) =>
        i === 3
          ? {
              key,
              status: 'failed',
              runs: 1,
              lastError: 'CheckFailedError: check "volume" failed',
              stats: {
                ...emptyStats(),
                attempts: 1,
                checks: [
                  outcome({
                    name: 'volume',
                    kind: 'rowCount',
                    outcome: 'failed',
                    observed: 12,
                    violations: 1,
                  }),
                ],
              },
            }
          : { key, status: 'succeeded', runs: 1, stats: stats(i === 5 ? fired : []) },
      ),
      maxConcurrency: 4,
      paused: false,
      generation: 0,
      startedAt: 0,
    };
    // Partitions without outcomes in this state passed every check (what the load reports).
    for (const p of state.partitions)
      if (p.status === 'succeeded' && !p.stats!.checks!.length) delete p.stats!.checks;
    const decoded = decodeState(encodeState(state, keys, spec.checks), keys, spec.checks);
    const five = decoded.partitions[5]!.stats!.checks!;
    assert.deepEqual(
      five.map((c) => [c.name, c.kind, c.action, c.outcome, c.violations]),
      [
        ['amount_non_negative', 'expression', 'drop', 'dropped', 12],
        ['volume', 'rowCount', 'warn', 'passed', 0],
        ['currency_known', 'acceptedValues', 'fail', 'passed', 0],
      ],
    );
    assert.deepEqual(five[0]!.samples, ['-5.00']);
    assert.match(five[0]!.message, /12 of 400 rows/);
    const failed = decoded.partitions[3]!;
    assert.equal(failed.status, 'failed');
    assert.deepEqual(
      failed.stats!.checks!.map((c) => [c.name, c.outcome, c.observed]),
      [['volume', 'failed', 12]],
    );
    assert.equal(checksSummary(decoded.partitions[0]!.stats!.checks), '3 ok');
    // Without the patch (no checks passed to encode), nothing about checks is carried: old payloads stay as they were.
    assert.equal(encodeState(state, keys).checks, undefined);
    assert.equal(
      decodeState(encodeState(state, keys), keys, spec.checks).partitions[5]!.stats!.checks,
      undefined,
    );
  });

  it('carried checks stay bounded for 100,000 partitions that all warn', () => {
    const keys = planPartitionKeys('2000-01-01', '2273-10-15', 'day');
    const warned = [
      outcome({
        name: 'amount_non_negative',
        outcome: 'dropped',
        violations: 3,
        samples: ['x'.repeat(200), 'y'],
      }),
      outcome({ name: 'volume', outcome: 'warned', violations: 1, observed: 0.2 }),
    ];
    const state: BackfillState = {
      partitions: keys.map((key) => ({ key, status: 'succeeded', runs: 1, stats: stats(warned) })),
      maxConcurrency: 4,
      paused: false,
      generation: 0,
      startedAt: 0,
    };
    const carried = encodeState(state, keys, spec.checks);
    const checksBytes = Buffer.byteLength(JSON.stringify(carried.checks));
    assert.ok(checksBytes < 400_000, `${checksBytes} bytes`);
    const decoded = decodeState(carried, keys, spec.checks);
    assert.equal(decoded.partitions[0]!.stats!.checks![1]!.outcome, 'warned');
    assert.equal(decoded.partitions[0]!.stats!.checks![0]!.samples[0]!.length, 60);
    assert.equal(decoded.partitions[4999]!.stats!.checks![1]!.outcome, 'warned');
    // Past the cap a partition's outcomes are unknown, never rebuilt as passed.
    assert.equal(decoded.partitions[5000]!.stats!.checks, undefined);
    assert.equal(decoded.partitions[99_999]!.stats!.checks, undefined);
  });

  it('without a worker, status rebuilds the outcomes from the children’s results and failures', () => {
    const failedChecks = [outcome({ name: 'volume', kind: 'rowCount', outcome: 'failed', action: 'fail' })];
    const rebuilt = partitionsFromChildren(
      ['2020-01', '2020-02'],
      [
        {
          childKey: '2020-01',
          status: 'COMPLETED',
          startTime: new Date(0),
          outcomes: {
            '2020-01': { status: 'succeeded', ...stats([outcome({ name: 'a', outcome: 'warned' })]) },
          },
        },
        {
          childKey: '2020-02',
          status: 'FAILED',
          startTime: new Date(0),
          outcomes: {
            '2020-02': {
              status: 'failed',
              error: 'CheckFailedError: ...',
              attempts: 1,
              checks: failedChecks,
            },
          },
        },
      ],
    );
    assert.equal(checksSummary(rebuilt[0]!.stats?.checks), '1 warn');
    assert.equal(rebuilt[1]!.status, 'failed');
    assert.deepEqual(rebuilt[1]!.stats?.checks, failedChecks);
  });

  it('status shows a CHECKS column only when a partition has outcomes', () => {
    const plain = partitionTable([{ key: '2020-01', status: 'succeeded', runs: 1, stats: stats([]) }]);
    assert.doesNotMatch(plain.split('\n')[0]!, /CHECKS/);
    const table = partitionTable([
      {
        key: '2020-01',
        status: 'succeeded',
        runs: 1,
        stats: stats([
          outcome({ name: 'a', outcome: 'passed' }),
          outcome({ name: 'b', outcome: 'dropped', violations: 12 }),
        ]),
      },
      {
        key: '2020-02',
        status: 'failed',
        runs: 1,
        lastError: 'CheckFailedError: check "volume" failed: 1 of 1 ...',
        stats: { ...emptyStats(), checks: [outcome({ name: 'volume', outcome: 'failed' })] },
      },
      { key: '2020-03', status: 'pending', runs: 0 },
    ]);
    const [header, first, second] = table.split('\n');
    assert.match(header!, /CHECKS\s+LAST ERROR$/);
    assert.match(first!, /1 ok, 1 drop\(12\)/);
    assert.match(second!, /FAIL volume\s+CheckFailedError/);
  });

  it('the parent’s details list partitions whose checks fired; the child’s list its outcomes', () => {
    const state: BackfillState = {
      partitions: [
        {
          key: '2020-01',
          status: 'succeeded',
          runs: 1,
          stats: stats([outcome({ name: 'a', outcome: 'passed' })]),
        },
        {
          key: '2020-02',
          status: 'succeeded',
          runs: 1,
          stats: stats([
            outcome({
              name: 'volume',
              outcome: 'warned',
              violations: 1,
              message: 'row count 12 below 0.5x the median 400',
            }),
          ]),
        },
      ],
      maxConcurrency: 2,
      paused: false,
      generation: 0,
      startedAt: 0,
    };
    const details = renderDetails(progressOf(state, { backfillId: 'b', phase: 'running' }, {}), 1000);
    assert.match(
      details,
      /### Checks that fired\n- `2020-02` \(succeeded\): 1 warn — volume \(warned\): row count 12/,
    );
    assert.doesNotMatch(details, /`2020-01` \(succeeded\)/);
    const child = renderPartitionDetails({
      '2020-02': {
        status: 'failed',
        error:
          'CheckFailedError: check "amount_non_negative" failed: 3 of 400 rows violate amount >= 0 (sample: -1|2)',
        attempts: 1,
        checks: [
          outcome({
            name: 'amount_non_negative',
            outcome: 'failed',
            action: 'fail',
            violations: 3,
            samples: ['-1|2', '-3'],
          }),
        ],
      },
    });
    assert.match(child, /^## Partition 2020-02 — failed/);
    assert.match(child, /\*\*Checks:\*\* FAIL amount_non_negative/);
    assert.match(child, /\| amount_non_negative \| fail \| failed \| 3 \| 400 \| -1 2, -3 \|/);
  });
});
