/**
 * Fetches items ahead of a sequential consumer: at most `limit` fetches run while the consumer
 * works on the previous result, so downloads overlap with staging and disk use stays bounded
 * (`limit` files ahead plus the one being consumed).
 * Results come in input order. When the consumer stops early (error, cancel, break), outstanding
 * fetches are aborted through their signal and awaited, so nothing writes after the caller cleans up.
 */
export async function* prefetchInOrder<T, R>(
  items: readonly T[],
  limit: number,
  fetch: (item: T, index: number, signal: AbortSignal) => Promise<R>,
): AsyncGenerator<R> {
  const abort = new AbortController();
  const started: Promise<R>[] = [];
  const start = (i: number) => {
    const promise = fetch(items[i]!, i, abort.signal);
    // Awaited in order below; until then, a rejection must not count as unhandled.
    promise.catch(() => undefined);
    started.push(promise);
  };
  try {
    for (let i = 0; i < Math.min(Math.max(1, limit), items.length); i++) start(i);
    for (let i = 0; i < items.length; i++) {
      const result = await started[i]!;
      if (started.length < items.length) start(started.length);
      yield result;
    }
  } finally {
    abort.abort();
    await Promise.allSettled(started);
  }
}
