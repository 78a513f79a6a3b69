// The page side of an iterator proxied by openInWorker(): the same behaviour as the module's
// own iterators (one next() at a time, `for await`, return() releases at once, an aborted
// `signal` rejects a pending next() with an AbortError), over `{ nextBatch, release }` calls to
// the worker. Items come in batches (one message for everything the worker had ready) and are
// handed out one by one. Dropped without return(), it is released when collected.

const released = new FinalizationRegistry((release) => release());

/**
 * @param {{ nextBatch(): Promise<any[]>, release(): void }} raw  an empty batch means done
 * @param {AbortSignal | undefined} signal
 */
export function proxiedIterator(raw, signal) {
  let queue = Promise.resolve();
  let finished = false;
  let buffered = [];
  const finish = () => {
    buffered = [];
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
      if (buffered.length > 0) {
        resolve({ done: false, value: buffered.shift() });
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
      raw.nextBatch().then(
        (batch) => {
          signal?.removeEventListener("abort", onAbort);
          if (finished) {
            // return() (or an abort, which already rejected) ended it meanwhile.
            resolve({ done: true, value: undefined });
            return;
          }
          if (batch.length === 0) {
            finish();
            resolve({ done: true, value: undefined });
            return;
          }
          buffered = batch;
          resolve({ done: false, value: buffered.shift() });
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
      buffered = [];
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
