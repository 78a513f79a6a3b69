// openInWorker(): the same Backend on a page's main thread, proxied over postMessage to the
// package's own dedicated Worker, where OPFS storage is available. Nothing here lists the
// methods: the worker reports the Backend's public methods and which of them are iterators.

import { Backend } from "../dist/wasm/ff_backend_wasm.js";
import { proxiedIterator } from "./tail.js";
import { errorFromData, FlowFabricError } from "./error.js";

/** Most items one `next` message brings from the worker. */
const BATCH = 256;
const invalid = (message) => new FlowFabricError(message, { kind: "validation", code: "invalid_input" });
const closedError = () => new FlowFabricError("the database is closed", { kind: "state", code: "closed" });
const storageError = (message, cause) =>
  new FlowFabricError(message, { kind: "storage", code: "storage_unavailable", cause });

class Rpc {
  #worker;
  #next = 1;
  #pending = new Map();
  #closed = false;

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      if (data.undeliverable) {
        this.#failAll(new FlowFabricError("a call could not be delivered to the database worker", { kind: "storage", code: "io" }));
        return;
      }
      const call = this.#pending.get(data.id);
      if (!call) return;
      this.#pending.delete(data.id);
      if (data.ok) call.resolve(data.value);
      else call.reject(errorFromData(data.error));
    };
    // A reply the page cannot deserialize: which call it answered is unknown, so every call
    // in flight fails rather than hang.
    worker.onmessageerror = () =>
      this.#failAll(new FlowFabricError("a reply from the database worker could not be read", { kind: "storage", code: "io" }));
    worker.onerror = (event) => {
      event.preventDefault?.();
      this.#failAll(storageError(`the database worker failed: ${event.message || "it could not start (blocked or not found)"}`));
    };
  }

  #failAll(error) {
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
  }

  call(method, args = []) {
    if (this.#closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve, reject });
      try {
        this.#worker.postMessage({ id, method, args });
      } catch (cause) {
        this.#pending.delete(id);
        reject(new FlowFabricError(`${method}: an argument cannot be sent to the worker (${cause.message})`, {
          kind: "validation",
          code: "invalid_input",
        }));
      }
    });
  }

  /** Stops the worker; every call still waiting, and every later call, rejects `closed`. */
  terminate() {
    this.#closed = true;
    this.#worker.terminate();
    this.#failAll(closedError());
  }
}

/** Starts a dedicated Worker, opens the database there, and returns a proxy Backend. */
export async function openInWorker(options = {}) {
  if (typeof Worker !== "function") {
    throw storageError("openInWorker() needs Web Workers; use open() here");
  }
  if (options?.now !== undefined) {
    throw new FlowFabricError("options.now cannot cross to a worker: a function is not cloneable", {
      kind: "validation",
      code: "invalid_input",
    });
  }
  let worker;
  try {
    worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  } catch (cause) {
    // A cross-origin package URL or a Content-Security-Policy refuses the worker.
    throw storageError(`openInWorker() could not start its worker: ${cause?.message ?? cause}`, cause);
  }
  const rpc = new Rpc(worker);
  try {
    return new WorkerBackend(rpc, await rpc.call("open", [options]));
  } catch (error) {
    rpc.terminate();
    throw error;
  }
}

/**
 * A Backend whose methods run in the worker. It extends the generated class so that
 * `instanceof Backend` holds; every public method is an own property that forwards.
 */
class WorkerBackend extends Backend {
  #rpc;
  #ended = null;
  /** The calls recorded by the groupCommit callback running now, if one is. */
  #recording = null;

  constructor(rpc, { name, storage, methods, iterators }) {
    super();
    this.#rpc = rpc;
    Object.defineProperties(this, { name: { value: name, enumerable: true }, storage: { value: storage, enumerable: true } });
    for (const method of methods) {
      this[method] = iterators.includes(method)
        ? (...args) => this.#follow(method, args)
        : (...args) => (this.#recording ? this.#record(method, args) : this.#rpc.call(method, args));
    }
    this.groupCommit = (run) => this.#groupCommit(run);
    // close and destroy end the worker once the database let go. As without a worker, close
    // is idempotent and destroy on an ended backend rejects with state/closed.
    for (const ending of ["close", "destroy"]) {
      this[ending] = () => {
        if (this.#ended) return ending === "close" ? this.#ended : Promise.reject(closedError());
        this.#ended = this.#rpc.call(ending).finally(() => this.#rpc.terminate());
        return this.#ended;
      };
    }
    this[Symbol.asyncDispose] = this.close;
  }

  /** Inside groupCommit: the call joins the group, and settles when the group's reply comes. */
  #record(method, args) {
    if (["close", "destroy", "exportImage", "groupCommit"].includes(method)) {
      return Promise.reject(invalid(`${method}() cannot run inside groupCommit; call it after`));
    }
    return new Promise((resolve, reject) => this.#recording.push({ method, args, resolve, reject }));
  }

  /** groupCommit as without a worker: the callback's calls are recorded here, sent together,
   *  and run in the worker as one group. */
  async #groupCommit(run) {
    if (typeof run !== "function") throw invalid("groupCommit needs a function");
    if (this.#recording) throw invalid("groupCommit calls do not nest");
    const calls = (this.#recording = []);
    let value;
    try {
      value = run();
    } catch (thrown) {
      const error = invalid(`the groupCommit callback threw (${thrown?.message ?? thrown}); nothing it did was kept`);
      for (const call of calls) call.reject(error);
      throw error;
    } finally {
      this.#recording = null;
    }
    if (calls.length === 0) return value;
    let results;
    try {
      results = await this.#rpc.call("group", [calls.map(({ method, args }) => ({ method, args }))]);
    } catch (error) {
      for (const call of calls) call.reject(error);
      throw error;
    }
    results.forEach((r, i) => (r.ok ? calls[i].resolve(r.value) : calls[i].reject(errorFromData(r.error))));
    return value;
  }

  /** An iterator method: opened in the worker, stepped by `next`, its signal kept here. */
  #follow(method, args) {
    const last = args.length - 1;
    const signal = args[last]?.signal;
    if (signal !== undefined) args[last] = { ...args[last], signal: undefined };
    const opened = this.#rpc.call("follow", [method, args]);
    opened.catch(() => {});
    const raw = {
      nextBatch: async () => this.#rpc.call("next", [await opened, BATCH]),
      release: () => {
        opened.then((id) => this.#rpc.call("release", [id])).catch(() => {});
      },
    };
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      // Reported by the worker as the module reports it: on the first next().
      args[last] = { ...args[last], signal: "not an AbortSignal" };
    }
    return proxiedIterator(raw, signal instanceof AbortSignal ? signal : undefined);
  }
}
