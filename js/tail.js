// The page side of an iterator proxied by openInWorker(): the same behaviour as the module's
// own iterators (one next() at a time, `for await`, return() releases at once, an aborted
// `signal` rejects a pending next() with an AbortError), over `{ next, release }` calls to the
// worker. Dropped without return(), it is released when collected.

const released = new FinalizationRegistry((release) => release());

/**
 * @param {{ next(): Promise<IteratorResult<any>>, release(): void }} raw
 * @param {AbortSignal | undefined} signal
 */
export function proxiedIterator(raw, signal) {
  let queue = Promise.resolve();
  let finished = false;
  const finish = () => {
    if (!finished) {
      finished = true;
      released.unregister(token);
      raw.release();
    }
  };
  const token = {};
  const abortReason = () => signal.reason ?? new DOMException("The operation was aborted", "AbortError");

  const step = () =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        finish();
        reject(abortReason());
        return;
      }
      if (finished) {
        resolve({ done: true, value: undefined });
        return;
      }
      const onAbort = () => {
        finish();
        reject(abortReason());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      raw.next().then(
        (result) => {
          signal?.removeEventListener("abort", onAbort);
          if (result.done) finish();
          resolve(result);
        },
        (error) => {
          signal?.removeEventListener("abort", onAbort);
          finish();
          reject(error);
        },
      );
    });

  const iterator = {
    next() {
      const result = queue.then(step, step);
      queue = result.catch(() => {});
      return result;
    },
    return(value) {
      finish();
      return Promise.resolve({ done: true, value });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  // The registry holds `raw.release`, not the iterator, so it never keeps the iterator alive.
  released.register(iterator, raw.release, token);
  return iterator;
}
