import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex } from '../../loading/keyed-mutex';

const tick = () => new Promise((r) => setTimeout(r, 5));

/** A mutex, a log its holders write to, and a gate a holder waits on until the test opens it. */
function gatedMutex() {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  return { mutex: new KeyedMutex(), log: [] as string[], gate, open };
}

describe('the per-target commit mutex', () => {
  it('runs one holder per key at a time, in arrival order, and keys independently', async () => {
    const { mutex, log, gate, open } = gatedMutex();
    const first = mutex.run('t', async () => {
      log.push('first in');
      await gate;
      log.push('first out');
    });
    const second = mutex.run('t', () => Promise.resolve(void log.push('second')));
    const other = mutex.run('u', () => Promise.resolve(void log.push('other key')));
    await other;
    await tick();
    assert.deepEqual(log, ['first in', 'other key']);
    open();
    await Promise.all([first, second]);
    assert.deepEqual(log, ['first in', 'other key', 'first out', 'second']);
  });

  it('an aborted waiter leaves at once; those behind it still wait for the holder', async () => {
    const { mutex, log, gate, open } = gatedMutex();
    const holder = mutex.run('t', async () => {
      await gate;
      log.push('holder done');
    });
    const abort = new AbortController();
    const cancelled = mutex.run('t', () => Promise.resolve(void log.push('cancelled ran')), abort.signal);
    const third = mutex.run('t', () => Promise.resolve(void log.push('third')));
    abort.abort();
    await assert.rejects(cancelled, /cancelled/);
    await tick();
    assert.deepEqual(log, [], 'the third still waits for the holder');
    open();
    await Promise.all([holder, third]);
    assert.deepEqual(log, ['holder done', 'third']);
  });

  it('an already aborted signal never takes a turn', async () => {
    const mutex = new KeyedMutex();
    const abort = new AbortController();
    abort.abort();
    let ran = false;
    await assert.rejects(mutex.run('t', () => Promise.resolve(void (ran = true)), abort.signal));
    assert.equal(ran, false);
    await mutex.run('t', () => Promise.resolve());
  });
});
