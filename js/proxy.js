// openInWorker(): the same Backend API on a page's main thread, proxied over postMessage to
// the package's own dedicated Worker, where OPFS storage is available.

import { makeTail } from "./tail.js";
import { checkSignal, failedTail } from "./api.js";
import { errorFromData, FlowFabricError } from "./error.js";

const closedError = () => new FlowFabricError("the database is closed", { kind: "state", code: "closed" });

/** Methods forwarded as they are; `tail` and `close` are handled below. */
export const FORWARDED = [
  "createExecution", "getExecution", "claim", "renew", "progress", "complete", "fail", "cancel",
  "reclaimExpired", "appendFrame", "readStream", "tailStream", "readSummary", "exportImage", "waiterCount",
];

class Rpc {
  #worker;
  #next = 1;
  #pending = new Map();
  #closed = false;

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const call = this.#pending.get(data.id);
      if (!call) return;
      this.#pending.delete(data.id);
      if (data.ok) call.resolve(data.value);
      else call.reject(errorFromData(data.error));
    };
    worker.onerror = (event) => {
      const error = new FlowFabricError(`the database worker failed: ${event.message ?? "unknown error"}`, {
        kind: "storage",
        code: "io",
      });
      for (const call of this.#pending.values()) call.reject(error);
      this.#pending.clear();
    };
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
        const error = new FlowFabricError(`${method}: an argument cannot be sent to the worker (${cause.message})`, {
          kind: "validation",
          code: "invalid_input",
        });
        reject(error);
      }
    });
  }

  /** Stops the worker; every call still waiting, and every later call, rejects `closed`. */
  terminate() {
    this.#closed = true;
    this.#worker.terminate();
    for (const call of this.#pending.values()) call.reject(closedError());
    this.#pending.clear();
  }
}

/** Starts a dedicated Worker, opens the database there, and returns a proxy Backend. */
export async function openInWorker(options = {}) {
  if (typeof Worker !== "function") {
    throw new FlowFabricError("openInWorker() needs Web Workers; use open() here", {
      kind: "storage",
      code: "storage_unavailable",
    });
  }
  if (options?.now !== undefined) {
    throw new FlowFabricError("options.now cannot cross to a worker: a function is not cloneable", {
      kind: "validation",
      code: "invalid_input",
    });
  }
  const rpc = new Rpc(new Worker(new URL("./worker.js", import.meta.url), { type: "module" }));
  try {
    const info = await rpc.call("open", [options]);
    return new WorkerBackend(rpc, info);
  } catch (error) {
    rpc.terminate();
    throw error;
  }
}

class WorkerBackend {
  #rpc;
  #closed = null;

  constructor(rpc, info) {
    this.#rpc = rpc;
    this.name = info.name;
    this.storage = info.storage;
    for (const method of FORWARDED) this[method] = (...args) => this.#rpc.call(method, args);
  }

  tail(executionId, attemptIndex, options = {}) {
    const { signal, ...rest } = options ?? {};
    try {
      checkSignal(signal);
    } catch (error) {
      return failedTail(error);
    }
    const opened = this.#rpc.call("openTail", [executionId, attemptIndex, rest]);
    opened.catch(() => {});
    const raw = {
      next: async () => this.#rpc.call("tailNext", [await opened]),
      release: () => {
        opened.then((id) => this.#rpc.call("tailRelease", [id])).catch(() => {});
      },
    };
    return makeTail(raw, signal);
  }

  close() {
    this.#closed ??= this.#rpc.call("close").finally(() => this.#rpc.terminate());
    return this.#closed;
  }

  [Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")]() {
    return this.close();
  }
}
