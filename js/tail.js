// `tail()`'s async iterator over a raw StreamTail (or a proxied one): serializes next()
// calls, adds `for await` support, and wires an AbortSignal to release the waiter at once.

/**
 * @param {{ next(): Promise<IteratorResult<any>>, release(): void }} raw
 * @param {AbortSignal | undefined} signal
 */
export function makeTail(raw, signal) {
  let queue = Promise.resolve();
  let finished = false;

  const finish = () => {
    if (!finished) {
      finished = true;
      raw.release();
    }
  };
  const abortReason = () => signal.reason ?? new DOMException("The tail was aborted", "AbortError");

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

  return {
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
}
