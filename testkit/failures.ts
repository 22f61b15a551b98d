/** What a failed activity threw, for tests that expect a failure. */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';

/** The ApplicationFailure `load` rejects with; fails the test when it succeeds. */
export async function applicationFailureOf(load: () => Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await load();
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, String(err));
    return err;
  }
  assert.fail('the load succeeded');
}
