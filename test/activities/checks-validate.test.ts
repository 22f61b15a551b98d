/**
 * What the pure rules cannot see, checked in a real DuckDB before anything starts: an expression
 * must bind as one read-only BOOLEAN over the spec's columns, a regex must compile in RE2, compared
 * values must cast to their column. The CLI refuses such a spec with exit 2 (one line per problem)
 * before it contacts Temporal; a worker refuses it at load (ConfigurationError).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parseSpec, type BackfillSpec } from '../../common/spec';
import { validateChecks } from '../../loading/checks';
import { runCliProcess } from '../../testkit/cli';
import { tempDir, writeSpecFile } from '../../testkit/fixtures';
import { createLoader } from '../../testkit/loader';
import { unitSpecInput } from '../../testkit/specs';

const loader = createLoader();
after(() => loader.close());

const specWith = (checks: unknown[]): BackfillSpec =>
  parseSpec(
    unitSpecInput({
      schema: { id: 'VARCHAR', amount: 'DECIMAL(12,2)', updated_at: 'TIMESTAMP', 'we"ird; col': 'INTEGER' },
      checks: checks as never,
    }),
  );

describe('checks validated in DuckDB', () => {
  it('accepts a boolean expression over schema, partition and lineage columns', async () => {
    assert.deepEqual(
      await validateChecks(
        specWith([
          { name: 'a', expression: 'amount >= 0' },
          { name: 'b', expression: `"we""ird; col" > 0 AND year >= 2019 AND _source_file LIKE '%.ndjson'` },
          { name: 'c', expression: "coalesce(id, '') <> 'x;y'" },
          { name: 'd', pattern: { column: 'id', regex: '^[A-Z]{3}-\\d+$' } },
          { name: 'e', range: { column: 'updated_at', min: '2019-01-01', max: '2020-01-01 00:00:00' } },
          { name: 'f', acceptedValues: { column: 'amount', values: [1, '2.50'] } },
        ]),
      ),
      [],
    );
  });

  it('refuses what is not boolean, unknown columns, bad regexes and values that do not cast', async () => {
    const lines = await validateChecks(
      specWith([
        { name: 'a', expression: 'amount' },
        { name: 'b', expression: 'nope > 1' },
        { name: 'c', pattern: { column: 'id', regex: '([' } },
        { name: 'd', acceptedValues: { column: 'amount', values: ['abc'] } },
        { name: 'e', range: { column: 'updated_at', max: 'tomorrow' } },
        { name: 'f', expression: 'amount >' },
      ]),
    );
    const expected = [
      /^checks\[0\]\.expression: must be boolean \(true when the row passes\), but "amount" is DECIMAL\(12,2\)$/,
      /^checks\[1\]\.expression: "nope > 1" is not a valid expression over the schema's columns: .*"nope"/,
      /^checks\[2\]\.pattern\.regex: "\(\[" is not a valid RE2 regular expression: missing \]/,
      /^checks\[3\]\.acceptedValues\.values\[0\]: "abc" is not a DECIMAL\(12,2\) value \(column "amount"\)$/,
      /^checks\[4\]\.range\.max: "tomorrow" is not a TIMESTAMP value \(column "updated_at"\)$/,
      /^checks\[5\]\.expression: "amount >" is not a valid expression over the schema's columns: .*syntax error/,
    ];
    assert.equal(lines.length, expected.length, lines.join('\n'));
    for (const [i, pattern] of expected.entries()) assert.match(lines[i]!, pattern);
  });

  it('refuses an expression that writes or runs another statement, even past the pure rules', async () => {
    // Not through parseSpec (its rules stop these first): validateChecks applies them again.
    const spec: BackfillSpec = {
      ...specWith([]),
      checks: [
        { name: 'a', action: 'fail', expression: '1; DROP TABLE t' },
        { name: 'b', action: 'fail', expression: 'true) FROM t; DELETE FROM t WHERE (true' },
        { name: 'c', action: 'fail', expression: "nextval('s') > 0" },
      ],
    };
    const lines = await validateChecks(spec);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /^checks\[0\]\.expression: must be one expression: ";" is not allowed$/);
    assert.match(lines[1]!, /^checks\[1\]\.expression: /);
    assert.match(lines[2]!, /^checks\[2\]\.expression: /);
  });

  it('the CLI refuses a bad check before anything starts: exit 2, one line per problem', async () => {
    const dir = tempDir();
    const file = writeSpecFile(dir, {
      ...unitSpecInput({ schema: { id: 'VARCHAR', amount: 'DOUBLE', updated_at: 'TIMESTAMP' } }),
      checks: [
        { name: 'a', expression: 'amount' },
        { name: 'b', pattern: { column: 'id', regex: '(' } },
      ],
    });
    // No Temporal server at this address: a spec that got past validation would fail with exit 4.
    const result = await runCliProcess(['start', file], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.split('\n');
    assert.equal(lines.length, 3, result.stderr);
    assert.match(lines[0]!, /^error: invalid backfill spec \(2 problems\):$/);
    assert.match(lines[1]!, /^ {2}- checks\[0\]\.expression: must be boolean/);
    assert.match(lines[2]!, /^ {2}- checks\[1\]\.pattern\.regex: "\(" is not a valid RE2/);
  });

  it('a worker refuses such a spec at load, non-retryable, before reading anything', async () => {
    const dir = tempDir();
    const spec = parseSpec({
      ...unitSpecInput({ schema: { id: 'VARCHAR', amount: 'DOUBLE', updated_at: 'TIMESTAMP' } }),
      source: { uri: path.join(dir, 'raw') },
      target: { path: path.join(dir, 't.duckdb'), table: 't', keyColumns: ['id'] },
      checks: [{ name: 'a', expression: 'amount + 1' }],
    });
    try {
      await loader.load(spec, '2019-01');
      assert.fail('loaded');
    } catch (err) {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'ConfigurationError');
      assert.match(err.message, /^invalid checks: checks\[0\]\.expression: must be boolean/);
    }
  });
});
