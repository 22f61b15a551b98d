import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileBatch, reconcileWrite } from '../../loading/reconcile';
import { BackfillError } from '../../common/failures';

const failsWith = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof BackfillError);
  assert.equal(err.type, 'ReconciliationError');
  assert.match(err.message, pattern);
  return true;
};

describe('reconciliation gate', () => {
  it('read = accepted + duplicates + rejected: returns the duplicates', () => {
    assert.equal(
      reconcileBatch('2020-01', { rowsRead: 100, rowsRejected: 7, rowsAccepted: 80, keyed: true }),
      13,
    );
    assert.equal(
      reconcileBatch('2020-01', { rowsRead: 10, rowsRejected: 2, rowsAccepted: 8, keyed: false }),
      0,
    );
  });

  it('more rows out than in fails, naming every count', () => {
    assert.throws(
      () => reconcileBatch('2020-01', { rowsRead: 10, rowsRejected: 1, rowsAccepted: 10, keyed: true }),
      failsWith(/^partition 2020-01: rows read 10 != rows accepted 10 \+ duplicates -1 \+ rejected 1$/),
    );
  });

  it('without keys no row may disappear', () => {
    assert.throws(
      () => reconcileBatch('2020-02', { rowsRead: 10, rowsRejected: 0, rowsAccepted: 9, keyed: false }),
      failsWith(/rows read 10 != rows accepted 9 \+ duplicates 1/),
    );
  });

  it('an insert of another count than the batch fails', () => {
    assert.doesNotThrow(() => reconcileWrite('2020-03', 5, 5));
    assert.throws(
      () => reconcileWrite('2020-03', 5, 4),
      failsWith(/^partition 2020-03: inserted 4 of 5 rows$/),
    );
  });
});
