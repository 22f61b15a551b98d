/**
 * Serialises work per key within this process (a destination's commits per target): staging runs
 * in parallel, commits don't race. A waiter whose signal aborts (its partition was cancelled)
 * leaves the queue at once instead of waiting for the turns ahead of it.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    const done = () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    try {
      await untilAborted(previous, signal);
    } catch (err) {
      // Those queued behind now wait only for the turns ahead of this one.
      done();
      throw err;
    }
    try {
      return await fn();
    } finally {
      done();
    }
  }
}

function untilAborted(wait: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return wait;
  return new Promise((resolve, reject) => {
    const abort = () => reject(new Error('gave up waiting for the commit turn: cancelled'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    void wait.then(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    });
  });
}
