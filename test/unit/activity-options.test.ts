import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ActivityCancellationType } from '@temporalio/workflow';
import { parseSpec } from '../../common/spec';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../common/failures';
import { activityOptions, bookkeepingRetry } from '../../workflows/activity-options';
import { unitSpecInput } from '../../testkit/specs';

const spec = parseSpec(
  unitSpecInput({
    name: 'opts',
    range: { from: '2019-01', to: '2019-03' },
    partitionTimeout: '2h',
    heartbeatTimeout: '45s',
    retry: { maximumAttempts: 7, initialInterval: '2s', backoffCoefficient: 3, maximumInterval: '1m' },
  }),
);

// The recorded histories hold these values in their ScheduleActivityTask commands: the shared
// helper must produce exactly what each call site spelled out before it existed.
describe('activity options', () => {
  it('loads and lists with the spec timeouts and retry policy', () => {
    assert.deepEqual(
      activityOptions(spec, 'load 2019-01', {
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      }),
      {
        startToCloseTimeout: 7_200_000,
        heartbeatTimeout: 45_000,
        cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        summary: 'load 2019-01',
        retry: {
          maximumAttempts: 7,
          initialInterval: 2000,
          backoffCoefficient: 3,
          maximumInterval: 60_000,
          nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
        },
      },
    );
  });

  it("gives the parent's bookkeeping three quick attempts", () => {
    assert.deepEqual(activityOptions(spec, 'maintain target', { retry: bookkeepingRetry(spec) }), {
      startToCloseTimeout: 7_200_000,
      heartbeatTimeout: 45_000,
      retry: { maximumAttempts: 3, initialInterval: 2000 },
      summary: 'maintain target',
    });
  });
});
