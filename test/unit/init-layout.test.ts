/** Pure parts of `backfill init`: layout names, templates, keys, type mapping and default names. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderLayout } from '../../common/partitions';
import { nameFromUri } from '../../loading/init';
import { specType } from '../../loading/init/infer';
import { detectStyle, keyOf, layoutTemplate, levelValue } from '../../loading/init/layout';

describe('init layout detection', () => {
  it('reads hive and plain directory names, zero-padded and in range only', () => {
    assert.equal(levelValue('year=2019', 0, 'hive'), 2019);
    assert.equal(levelValue('2019', 0, 'plain'), 2019);
    assert.equal(levelValue('month=03', 1, 'hive'), 3);
    assert.equal(levelValue('month=3', 1, 'hive'), undefined, 'the spec renders {mm} padded');
    assert.equal(levelValue('13', 1, 'plain'), undefined);
    assert.equal(levelValue('day=31', 2, 'hive'), 31);
    assert.equal(levelValue('hour=23', 3, 'hive'), 23);
    assert.equal(levelValue('hour=24', 3, 'hive'), undefined);
    assert.equal(levelValue('2019', 0, 'hive'), undefined);
    assert.equal(levelValue('07', 4, 'plain'), undefined, 'nothing below the hour');
  });

  it('takes the style most top-level directories follow, none without year directories', () => {
    assert.equal(detectStyle(['year=2019', 'year=2020', 'tmp']), 'hive');
    assert.equal(detectStyle(['2019', '2020', 'year=2021']), 'plain');
    assert.equal(detectStyle(['logs', 'archive']), undefined);
    assert.equal(detectStyle([]), undefined);
  });

  it('writes templates the spec renders back to the directories found', () => {
    assert.equal(layoutTemplate('hive', 2), 'year={yyyy}/month={mm}/');
    assert.equal(layoutTemplate('plain', 4), '{yyyy}/{mm}/{dd}/{hh}/');
    assert.equal(
      renderLayout(layoutTemplate('hive', 4), '2019-03-05T07', 'hour'),
      'year=2019/month=03/day=05/hour=07/',
    );
    assert.equal(renderLayout(layoutTemplate('plain', 3), '2019-03-05', 'day'), '2019/03/05/');
    assert.equal(keyOf([2019]), '2019');
    assert.equal(keyOf([2019, 3, 5, 7]), '2019-03-05T07');
  });

  it('maps sniffed types to types the spec accepts', () => {
    assert.deepEqual(specType('BIGINT'), { type: 'BIGINT' });
    assert.deepEqual(specType('DECIMAL(10,2)'), { type: 'DECIMAL(10,2)' });
    assert.deepEqual(specType('TIMESTAMP_NS'), { type: 'TIMESTAMP' });
    assert.deepEqual(specType('TIMESTAMP WITH TIME ZONE'), { type: 'TIMESTAMPTZ' });
    assert.equal(specType('STRUCT(x BIGINT)').type, 'JSON');
    assert.equal(specType('VARCHAR[]').type, 'JSON');
    assert.equal(specType('MAP(VARCHAR, BIGINT)').type, 'JSON');
    assert.equal(specType('"NULL"').type, 'VARCHAR');
    assert.equal(specType('BIT').type, 'VARCHAR');
  });

  it('names a backfill after the last path segment of its source', () => {
    assert.equal(nameFromUri('s3://lake/raw/orders/'), 'orders');
    assert.equal(nameFromUri('s3://lake'), 'lake');
    assert.equal(nameFromUri('/data/raw events'), 'raw-events');
    assert.equal(nameFromUri('/'), 'backfill');
  });
});
