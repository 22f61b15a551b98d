import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyListing, SMALL_PARTITION_BYTES } from '../../common/small-partitions';

describe('small partitions of a batch', () => {
  it('settles an empty partition at once unless the spec requires files', () => {
    assert.equal(classifyListing([], SMALL_PARTITION_BYTES, false), 'empty');
    assert.equal(classifyListing([], SMALL_PARTITION_BYTES, true), 'own-activity');
  });

  it('loads a partition in the batch up to the byte limit, summed over its files', () => {
    assert.equal(classifyListing([{ size: 0 }], 100, false), 'small');
    assert.equal(classifyListing([{ size: 60 }, { size: 40 }], 100, false), 'small');
    assert.equal(classifyListing([{ size: 60 }, { size: 41 }], 100, false), 'own-activity');
    assert.equal(classifyListing([{ size: 10 }], 100, true), 'small');
  });
});
