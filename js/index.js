// ff-backend-wasm: the package entry. Loads the wasm module on first use (Node, browsers,
// workers), or takes it from initSync() where compiling from bytes is forbidden (workerd),
// and wraps the raw Backend with `tail()` as an async iterator and `Symbol.asyncDispose`.

import init, { initSync as initWasmSync, openBackend } from "../dist/wasm/ff_backend_wasm.js";
import { makeTail } from "./tail.js";
import { FlowFabricError } from "./error.js";

export { FlowFabricError } from "./error.js";
export { openInWorker } from "./proxy.js";

let loading = null;
let loaded = false;

/** Hands over the compiled module synchronously (Cloudflare Workers / workerd). */
export function initSync(options) {
  if (!loaded) {
    initWasmSync(options);
    loaded = true;
  }
}

function load() {
  if (loaded) return Promise.resolve();
  loading ??= (async () => {
    const url = new URL("../dist/wasm/ff_backend_wasm_bg.wasm", import.meta.url);
    let source = url;
    if (url.protocol === "file:" && typeof process === "object" && process.versions?.node) {
      const { readFile } = await import("node:fs/promises");
      source = await readFile(url);
    }
    await init({ module_or_path: source });
    loaded = true;
  })();
  return loading;
}

const asyncDispose = Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose");

/** Opens a database: `open()` is in memory; `open({ storage: "opfs", name })` in a Worker. */
export async function open(options) {
  await load();
  return new Backend(await openBackend(options));
}

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

  /** Every frame after `after`, in order, until the stream closes. Sync call. */
  tail(executionId, attemptIndex, options = {}) {
    if (options?.signal !== undefined && !isAbortSignal(options.signal)) {
      throw new FlowFabricError("options.signal must be an AbortSignal", { kind: "validation", code: "invalid_input" });
    }
    return makeTail(this.#raw.openTail(executionId, attemptIndex, options), options?.signal);
  }
}

function isAbortSignal(value) {
  return typeof AbortSignal === "function" && value instanceof AbortSignal;
}
