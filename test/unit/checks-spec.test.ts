/** The pure rules over a spec's checks: each bad check refused with one message naming its field. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expressionProblem, parseSpec, type BackfillSpecInput } from '../../common/spec';
import { failureMessage, rowCountOutcome, rowOutcome } from '../../loading/checks/outcome';
import { specProblems, unitSpecInput } from '../../testkit/specs';

const withChecks = (checks: unknown[], extra: Partial<BackfillSpecInput> = {}) =>
  unitSpecInput({
    schema: { id: 'VARCHAR', amount: 'DOUBLE', updated_at: 'TIMESTAMP' },
    ...extra,
    checks,
  } as never);

const problems = specProblems;

describe('spec checks', () => {
  it('defaults: no checks; a check fails unless told otherwise', () => {
    assert.deepEqual(parseSpec(unitSpecInput()).checks, []);
    const [check] = parseSpec(withChecks([{ name: 'c', notNull: { column: 'id' } }])).checks;
    assert.equal(check!.action, 'fail');
  });

  it('accepts every kind', () => {
    const spec = withChecks([
      { name: 'a', expression: 'amount >= 0', action: 'warn', maxViolations: 3 },
      {
        name: 'b',
        acceptedValues: { column: 'id', values: ['x', 'y'] },
        action: 'drop',
        maxViolationShare: 0.1,
      },
      { name: 'c', notNull: { column: 'year' } },
      { name: 'd', unique: { columns: ['id', '_source_file'] } },
      { name: 'e', range: { column: 'updated_at', min: '2019-01-01' } },
      { name: 'f', pattern: { column: 'id', regex: '^[a-z]+$' } },
      { name: 'g', rowCount: { min: 1, relativeMin: 0.5, relativeMax: 2 } },
      { name: 'h', freshness: { minCoverage: 0.5 } },
      { name: 'i', maxRejectedShare: 0.05 },
    ]);
    assert.deepEqual(problems(spec), []);
  });

  const cases: [string, unknown[], string, Partial<BackfillSpecInput>?][] = [
    [
      'unknown column',
      [{ name: 'c', notNull: { column: 'nope' } }],
      'checks[0].notNull.column: "nope" is not a schema, partition or lineage column',
    ],
    [
      'unknown unique column',
      [{ name: 'c', unique: { columns: ['id', 'x'] } }],
      'checks[0].unique.columns[1]: "x" is not a schema, partition or lineage column',
    ],
    [
      'no kind',
      [{ name: 'c' }],
      'checks[0]: sets no check; set exactly one of notNull, unique, acceptedValues, range, pattern, expression, rowCount, freshness, maxRejectedShare',
    ],
    [
      'two kinds',
      [{ name: 'c', notNull: { column: 'id' }, expression: 'true' }],
      'checks[0]: sets notNull and expression; set exactly one kind per check',
    ],
    [
      'duplicate names',
      [
        { name: 'c', notNull: { column: 'id' } },
        { name: 'c', notNull: { column: 'amount' } },
      ],
      'checks[1].name: "c" is also the name of checks[0]',
    ],
    [
      'share out of range',
      [{ name: 'c', notNull: { column: 'id' }, maxViolationShare: 1.5 }],
      'checks[0].maxViolationShare: Too big: expected number to be <=1',
    ],
    [
      'negative count',
      [{ name: 'c', notNull: { column: 'id' }, maxViolations: -1 }],
      'checks[0].maxViolations: Too small: expected number to be >=0',
    ],
    [
      'both thresholds',
      [{ name: 'c', notNull: { column: 'id' }, maxViolations: 1, maxViolationShare: 0.1 }],
      'checks[0].maxViolationShare: set maxViolations or maxViolationShare, not both',
    ],
    [
      'drop on a partition check',
      [{ name: 'c', rowCount: { min: 1 }, action: 'drop' }],
      'checks[0].action: drop needs rows to drop; rowCount is a partition check (use warn or fail)',
    ],
    [
      'threshold on a partition check',
      [{ name: 'c', maxRejectedShare: 0.1, maxViolations: 2 }],
      'checks[0].maxViolations: maxRejectedShare is a partition check and takes no threshold',
    ],
    [
      'relative rowCount without partition columns',
      [{ name: 'c', rowCount: { relativeMin: 0.5 } }],
      'checks[0].rowCount: relative bounds compare with the other partitions in the target, so they need target.partitionColumns',
      { target: { path: '/t.duckdb', table: 't', keyColumns: ['id'] } },
    ],
    [
      'rowCount min above max',
      [{ name: 'c', rowCount: { min: 5, max: 2 } }],
      'checks[0].rowCount.max: is below min (5)',
    ],
    [
      'empty rowCount',
      [{ name: 'c', rowCount: {} }],
      'checks[0].rowCount: set at least one of min, max, relativeMin, relativeMax',
    ],
    [
      'freshness without a column',
      [{ name: 'c', freshness: {} }],
      'checks[0].freshness.column: set a column (there is no target.orderingColumn to default to)',
      { target: { path: '/t.duckdb', table: 't', keyColumns: ['id'], partitionColumns: ['year', 'month'] } },
    ],
    [
      'freshness on a number',
      [{ name: 'c', freshness: { column: 'amount' } }],
      'checks[0].freshness.column: "amount" is DOUBLE; freshness needs a DATE or TIMESTAMP column',
    ],
    [
      'range without bounds',
      [{ name: 'c', range: { column: 'amount' } }],
      'checks[0].range: set min, max or both',
    ],
    [
      'two statements',
      [{ name: 'c', expression: '1; DROP TABLE t' }],
      'checks[0].expression: must be one expression: ";" is not allowed',
    ],
    [
      'a subquery',
      [{ name: 'c', expression: '(SELECT count(*) FROM t) > 0' }],
      'checks[0].expression: must be an expression over one row: "SELECT" is not allowed (quote a column of that name)',
    ],
    [
      'a comment',
      [{ name: 'c', expression: 'amount > 0 -- )' }],
      'checks[0].expression: must not contain comments',
    ],
    [
      'breaking out of the parentheses',
      [{ name: 'c', expression: 'true) OR (true' }],
      'checks[0].expression: has unbalanced parentheses',
    ],
    [
      'reading a file',
      [{ name: 'c', expression: "length(getenv('HOME')) > 0" }],
      'checks[0].expression: must be an expression over one row: "getenv" is not allowed (quote a column of that name)',
    ],
    [
      'an unknown action',
      [{ name: 'c', notNull: { column: 'id' }, action: 'quarantine' }],
      'checks[0].action: Invalid option: expected one of "warn"|"drop"|"fail"',
    ],
    ['an empty name', [{ name: '', notNull: { column: 'id' } }], 'checks[0].name: must not be empty'],
  ];
  for (const [what, checks, expected, extra] of cases) {
    it(`refuses ${what}`, () => assert.deepEqual(problems(withChecks(checks, extra)), [expected]));
  }

  it('an expression may hold ";" and "--" inside strings and quoted names', () => {
    assert.equal(expressionProblem(`"weird; -- col" <> 'a;b -- c'`), undefined);
    assert.equal(expressionProblem(`"select" > 0`), undefined);
    assert.equal(expressionProblem(`'unterminated`), 'has an unterminated quote');
  });
});

describe('check outcomes', () => {
  const check = (more: object) =>
    parseSpec(withChecks([{ name: 'n', expression: 'amount >= 0', ...more }])).checks[0]!;

  it('thresholds: a count, or a share of the rows checked (rounded down)', () => {
    assert.equal(rowOutcome(check({}), 1, 100, []).outcome, 'failed');
    assert.equal(rowOutcome(check({ maxViolations: 1 }), 1, 100, []).outcome, 'passed');
    assert.equal(rowOutcome(check({ maxViolationShare: 0.05 }), 5, 100, []).outcome, 'passed');
    assert.equal(rowOutcome(check({ maxViolationShare: 0.05 }), 6, 100, []).outcome, 'failed');
    assert.equal(rowOutcome(check({ action: 'warn' }), 6, 100, []).outcome, 'warned');
    assert.equal(rowOutcome(check({ action: 'drop' }), 6, 100, []).outcome, 'dropped');
    assert.equal(rowOutcome(check({ action: 'drop', maxViolations: 5 }), 6, 100, []).outcome, 'failed');
    assert.equal(rowOutcome(check({ action: 'drop' }), 0, 100, []).outcome, 'passed');
  });

  it('the failure message is one line naming the check, the count and a sample', () => {
    const outcome = rowOutcome(check({ name: 'a\nb' }), 2, 10, ['-1', 'line\nbreak']);
    assert.equal(
      failureMessage([outcome]),
      'check "a b" failed: 2 of 10 rows violate amount >= 0 (sample: -1, line break)',
    );
    const rows = parseSpec(withChecks([{ name: 'v', rowCount: { relativeMax: 2 } }])).checks[0]!;
    assert.equal(rowCountOutcome(rows, 30, 10).outcome, 'failed');
    assert.equal(rowCountOutcome(rows, 30, null).outcome, 'passed');
    assert.equal(failureMessage([rowCountOutcome(rows, 10, 10)]), undefined);
  });
});
