import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { prefetchInOrder } from '../../loading/sources/prefetch';

describe('prefetching files ahead of staging', () => {
  it('yields in input order with at most `limit` fetches running while the consumer works', async () => {
    let running = 0;
    let most = 0;
    const out: number[] = [];
    // Later items finish first, so order comes from the helper, not from timing.
    const items = [30, 5, 20, 1, 15, 2, 8, 3];
    for await (const value of prefetchInOrder(items, 3, async (ms) => {
      most = Math.max(most, ++running);
      await sleep(ms);
      running--;
      return ms;
    })) {
      out.push(value);
      await sleep(4);
    }
    assert.deepEqual(out, items);
    assert.equal(most, 3);
  });

  it('an early stop aborts the fetches in flight and waits for them before returning', async () => {
    const aborted: number[] = [];
    let settled = 0;
    const consume = async () => {
      for await (const i of prefetchInOrder([0, 1, 2, 3, 4, 5], 3, (i, _index, signal) => {
        if (i === 0) return Promise.resolve(i);
        return new Promise<number>((resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted.push(i);
            setTimeout(() => {
              settled++;
              reject(new Error('aborted'));
            }, 10);
          });
          setTimeout(() => resolve(i), 10_000).unref();
        });
      })) {
        throw new Error(`staging ${i} failed`);
      }
    };
    await assert.rejects(consume(), /staging 0 failed/);
    // Items 1..3 had started (the window refilled after 0); none beyond; all settled before the error surfaced.
    assert.deepEqual(aborted.sort(), [1, 2, 3]);
    assert.equal(settled, 3);
  });

  it('a failed fetch surfaces when its turn comes, not as an unhandled rejection', async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const i of prefetchInOrder([0, 1, 2], 2, (i) =>
        i === 1 ? Promise.reject(new Error('download 1 failed')) : Promise.resolve(i),
      ))
        seen.push(i);
    };
    await assert.rejects(run(), /download 1 failed/);
    assert.deepEqual(seen, [0]);
  });
});
