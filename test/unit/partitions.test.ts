import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { countPartitions, planPartitionKeys, plannedKeys, renderLayout } from '../../common/partitions';

describe('partition planning', () => {
  it('plans months across years, inclusive', () => {
    const keys = planPartitionKeys('2018-11', '2019-02', 'month');
    assert.deepEqual(keys, ['2018-11', '2018-12', '2019-01', '2019-02']);
    assert.equal(countPartitions('2018-01', '2023-12', 'month'), 72);
  });
  it('plans days over a leap day and hours over a day boundary', () => {
    assert.deepEqual(planPartitionKeys('2020-02-28', '2020-03-01', 'day'), [
      '2020-02-28',
      '2020-02-29',
      '2020-03-01',
    ]);
    assert.deepEqual(planPartitionKeys('2020-01-01T22', '2020-01-02T01', 'hour'), [
      '2020-01-01T22',
      '2020-01-01T23',
      '2020-01-02T00',
      '2020-01-02T01',
    ]);
    assert.equal(countPartitions('2020-01-01', '2020-12-31', 'day'), 366);
    assert.equal(countPartitions('2020-01-01T00', '2020-01-02T23', 'hour'), 48);
  });
  it('orders the planned keys: only, else the spec list, else the range; newest first on request', () => {
    const range = { from: '2019-01', to: '2019-03', granularity: 'month' } as const;
    assert.deepEqual(plannedKeys({ range, order: 'oldest' }), ['2019-01', '2019-02', '2019-03']);
    assert.deepEqual(plannedKeys({ range, order: 'newest' }), ['2019-03', '2019-02', '2019-01']);
    const partitions = ['2019-07', '2019-05'];
    assert.deepEqual(plannedKeys({ range, partitions, order: 'oldest' }), ['2019-05', '2019-07']);
    assert.deepEqual(plannedKeys({ range, partitions, order: 'newest' }, ['2018-01', '2018-02']), [
      '2018-02',
      '2018-01',
    ]);
    assert.deepEqual(partitions, ['2019-07', '2019-05'], 'the spec list is not sorted in place');
  });
  it('renders layouts', () => {
    assert.equal(renderLayout('year={yyyy}/month={mm}/', '2019-03', 'month'), 'year=2019/month=03/');
    assert.equal(renderLayout('{yyyy}/{mm}/{dd}/{hh}', '2019-03-05T07', 'hour'), '2019/03/05/07');
    assert.equal(renderLayout('p={key}', '2019', 'year'), 'p=2019');
  });
  it('counts nothing when to is before from', () => {
    assert.equal(countPartitions('2019-02', '2019-01', 'month'), 0);
    assert.deepEqual(planPartitionKeys('2019-02', '2019-01', 'month'), []);
  });
});
