// The package's shared core: module loading (given a source by each entry point), the
// Backend wrapper with `tail()` as an async iterator, and `Symbol.asyncDispose`.

import init, { initSync as initWasmSync, openBackend } from "../dist/wasm/ff_backend_wasm.js";
import { makeTail } from "./tail.js";
import { FlowFabricError } from "./error.js";

let loading = null;
let loaded = false;

/** Hands over the compiled module synchronously (Cloudflare Workers / workerd). */
export function initSync(options) {
  if (!loaded) {
    initWasmSync(options);
    loaded = true;
  }
}

/** Builds `open()` for an entry point; `source()` yields what wasm-bindgen's init accepts. */
export function makeOpen(source) {
  const load = () => {
    if (loaded) return Promise.resolve();
    loading ??= (async () => {
      try {
        await init({ module_or_path: await source() });
        loaded = true;
      } catch (cause) {
        loading = null; // a later open() tries again
        const error = new FlowFabricError(`could not load the ff-backend-wasm module: ${cause?.message ?? cause}`, {
          kind: "storage",
          code: "storage_unavailable",
        });
        error.cause = cause;
        throw error;
      }
    })();
    return loading;
  };
  /** Opens a database: `open()` is in memory; `open({ storage: "opfs", name })` in a Worker. */
  return async function open(options) {
    await load();
    return new Backend(await openBackend(options));
  };
}

export const wasmUrl = () => new URL("../dist/wasm/ff_backend_wasm_bg.wasm", import.meta.url);

const asyncDispose = Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose");

/** A FlowFabric database. Every method returns a Promise except `tail`. */
export class Backend {
  #raw;

  constructor(raw) {
    this.#raw = raw;
  }

  get name() { return this.#raw.name; }
  get storage() { return this.#raw.storage; }

  createExecution(spec) { return this.#raw.createExecution(spec); }
  getExecution(executionId) { return this.#raw.getExecution(executionId); }
  claim(options) { return this.#raw.claim(options); }
  renew(handle) { return this.#raw.renew(handle); }
  progress(handle, progress) { return this.#raw.progress(handle, progress); }
  complete(handle, result) { return this.#raw.complete(handle, result); }
  fail(handle, failure) { return this.#raw.fail(handle, failure); }
  cancel(target, reason) { return this.#raw.cancel(target, reason); }
  reclaimExpired() { return this.#raw.reclaimExpired(); }
  appendFrame(handle, frame) { return this.#raw.appendFrame(handle, frame); }
  readStream(executionId, attemptIndex, options) { return this.#raw.readStream(executionId, attemptIndex, options); }
  tailStream(executionId, attemptIndex, options) { return this.#raw.tailStream(executionId, attemptIndex, options); }
  readSummary(executionId, attemptIndex) { return this.#raw.readSummary(executionId, attemptIndex); }
  exportImage() { return this.#raw.exportImage(); }
  /** Tail waiters currently registered (0 when no tail is waiting). */
  waiterCount() { return this.#raw.waiterCount(); }
  close() { return this.#raw.close(); }
  [asyncDispose]() { return this.close(); }

  /**
   * Every frame after `after`, in order, until the stream closes. Sync call; bad options
   * reject the first `next()` (as they do through openInWorker).
   */
  tail(executionId, attemptIndex, options = {}) {
    try {
      checkSignal(options?.signal);
      return makeTail(this.#raw.openTail(executionId, attemptIndex, options), options?.signal);
    } catch (error) {
      return failedTail(error);
    }
  }
}

/** Throws unless `signal` is absent or an AbortSignal. */
export function checkSignal(signal) {
  if (signal !== undefined && !(typeof AbortSignal === "function" && signal instanceof AbortSignal)) {
    throw new FlowFabricError("options.signal must be an AbortSignal", { kind: "validation", code: "invalid_input" });
  }
}

/** An iterator whose first `next()` rejects with `error`, then reports done. */
export function failedTail(error) {
  let raised = false;
  return {
    next() {
      if (raised) return Promise.resolve({ done: true, value: undefined });
      raised = true;
      return Promise.reject(error);
    },
    return(value) {
      raised = true;
      return Promise.resolve({ done: true, value });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
