import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { msNumberToTs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { activitySpan, childSteps, median, parentSteps, type Steps } from '../../scripts/history-steps';

const event = (eventId: number, ms: number, attributes: object) => ({
  eventId,
  eventTime: msNumberToTs(ms),
  ...attributes,
});

// Plain numbers where the protobuf types say Long: the code under test reads them with Number().
const history = (events: object[]) => ({ events }) as unknown as temporal.api.history.v1.IHistory;

describe('orchestration steps from histories', () => {
  it("times a child's workflow tasks and activities by their scheduled and started events", () => {
    const steps: Steps = {};
    childSteps(
      history([
        event(1, 1000, { workflowExecutionStartedEventAttributes: {} }),
        event(2, 1000, { workflowTaskScheduledEventAttributes: {} }),
        event(3, 1010, { workflowTaskStartedEventAttributes: { scheduledEventId: 2 } }),
        event(4, 1030, { workflowTaskCompletedEventAttributes: { startedEventId: 3 } }),
        event(5, 1030, { activityTaskScheduledEventAttributes: { activityType: { name: 'load' } } }),
        event(6, 1035, { activityTaskStartedEventAttributes: { scheduledEventId: 5 } }),
        event(7, 1135, { activityTaskCompletedEventAttributes: { scheduledEventId: 5, startedEventId: 6 } }),
        event(8, 1135, { workflowTaskScheduledEventAttributes: {} }),
        event(9, 1175, { workflowTaskStartedEventAttributes: { scheduledEventId: 8 } }),
        event(10, 1180, { workflowTaskCompletedEventAttributes: { startedEventId: 9 } }),
        event(11, 1181, { workflowExecutionCompletedEventAttributes: {} }),
      ]),
      steps,
    );
    assert.deepEqual(steps, {
      'child first WFT': [10],
      'activity dispatch': [5],
      'activity run (load)': [100],
      'child WFT dispatch': [10, 40],
      'child WFT run': [20, 5],
      'child life (own view)': [181],
    });
  });

  it("times each child's start and life from the parent's side and names the children", () => {
    const steps: Steps = {};
    const ids = parentSteps(
      history([
        event(5, 2000, { startChildWorkflowExecutionInitiatedEventAttributes: {} }),
        event(6, 2300, {
          childWorkflowExecutionStartedEventAttributes: {
            initiatedEventId: 5,
            workflowExecution: { workflowId: 'b/1..2' },
          },
        }),
        event(9, 2900, { childWorkflowExecutionCompletedEventAttributes: { startedEventId: 6 } }),
      ]),
      steps,
    );
    assert.deepEqual(ids, ['b/1..2']);
    assert.deepEqual(steps, { 'child start': [300], 'child life (parent view)': [600] });
  });

  it('takes the upper median', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 3);
    assert.ok(Number.isNaN(median([])));
  });

  it('spans the activities of one type from the first start to the last completion', () => {
    const h = history([
      event(1, 1000, { activityTaskScheduledEventAttributes: { activityType: { name: 'stage' } } }),
      event(2, 1000, { activityTaskScheduledEventAttributes: { activityType: { name: 'stage' } } }),
      event(3, 1005, { activityTaskStartedEventAttributes: { scheduledEventId: 1 } }),
      event(4, 1020, { activityTaskStartedEventAttributes: { scheduledEventId: 2 } }),
      event(5, 1300, { activityTaskCompletedEventAttributes: { scheduledEventId: 2, startedEventId: 4 } }),
      event(6, 1400, { activityTaskCompletedEventAttributes: { scheduledEventId: 1, startedEventId: 3 } }),
      event(7, 1400, { activityTaskScheduledEventAttributes: { activityType: { name: 'commit' } } }),
      event(8, 1410, { activityTaskStartedEventAttributes: { scheduledEventId: 7 } }),
      event(9, 1900, { activityTaskCompletedEventAttributes: { scheduledEventId: 7, startedEventId: 8 } }),
    ]);
    assert.deepEqual(activitySpan(h, 'stage'), { first: 1005, last: 1400 });
    assert.deepEqual(activitySpan(h, 'commit'), { first: 1410, last: 1900 });
    assert.equal(activitySpan(h, 'plan'), undefined);
  });
});
