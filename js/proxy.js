// openInWorker(): the same Backend on a page's main thread, proxied over postMessage to the
// package's own dedicated Worker, where OPFS storage is available. Nothing here lists the
// methods: the worker reports the Backend's public methods and which of them are iterators.
// With `shared` (the default for OPFS), the tabs of the origin share the database through a
// leader tab (js/shared.js): `backend.leadership` says which tab leads.

import { Backend } from "../dist/wasm/ff_backend_wasm.js";
import { wasmUrl } from "./api.js";
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
  #failed = null;

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      if (data.role) {
        this.onRole?.(data.role);
        return;
      }
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
      // Kept: a call made after the worker failed (openInWorker's first, sent once the page's
      // compile of the module is done) rejects with it instead of waiting for a reply.
      this.#failed = storageError(`the database worker failed: ${event.message || "it could not start (blocked or not found)"}`);
      this.#failAll(this.#failed);
    };
  }

  #failAll(error) {
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
  }

  /** A message that needs no reply. */
  tell(message) {
    if (!this.#closed) this.#worker.postMessage(message);
  }

  call(method, args = []) {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#failed) return Promise.reject(this.#failed);
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

/**
 * The .wasm, compiled once per page and sent to every Worker openInWorker starts: a Worker then
 * only instantiates it, instead of fetching and compiling it again (a third of opening,
 * BENCHMARKS.md), and the first compile runs while the Worker starts. `null` where the page
 * cannot compile it (a Content-Security-Policy without 'wasm-unsafe-eval', a failed fetch):
 * the Worker then loads the module itself, and reports what stops it.
 */
let compiled = null;
function compiledModule() {
  compiled ??= (async () => {
    const response = fetch(wasmUrl());
    try {
      return await WebAssembly.compileStreaming(response);
    } catch {
      // compileStreaming wants the application/wasm type, which not every server sends.
      return await WebAssembly.compile(await (await fetch(wasmUrl())).arrayBuffer());
    }
  })().catch(() => null);
  return compiled;
}

/** `shared` and `leaderWaitMs`, checked, with their defaults (sharing is for OPFS). */
function sharing(options) {
  const opfs = options?.storage === "opfs";
  const shared = options?.shared ?? opfs;
  if (typeof shared !== "boolean") throw invalid(`options.shared must be a boolean, got ${typeof shared}`);
  if (shared && !opfs) throw invalid('options.shared needs storage: "opfs" (a memory database belongs to one tab)');
  const leaderWaitMs = options?.leaderWaitMs ?? 10_000;
  if (typeof leaderWaitMs !== "number" || !(leaderWaitMs >= 0) || !Number.isFinite(leaderWaitMs)) {
    throw invalid(`options.leaderWaitMs must be a finite number of milliseconds >= 0, got ${leaderWaitMs}`);
  }
  return { shared, leaderWaitMs };
}

/** Which tab leads a shared database, kept current; a `change` event tells when it changes. */
class Leadership extends EventTarget {
  /** "leader", "follower", "electing" (between leaders) or "exclusive" (not shared). */
  role = "exclusive";
  /** This tab's id among the sharing tabs, and the leader's (null while electing). */
  tab = null;
  leader = null;

  update({ role, tab, leader }) {
    if (role === this.role && leader === this.leader) return;
    Object.assign(this, { role, tab, leader });
    this.dispatchEvent(new Event("change"));
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
  const { shared, leaderWaitMs } = sharing(options);
  const module = compiledModule();
  let worker;
  try {
    // js/worker.js and what it imports, bundled into one file by scripts/build.sh.
    worker = new Worker(new URL("../dist/worker.js", import.meta.url), { type: "module" });
  } catch (cause) {
    // A cross-origin package URL or a Content-Security-Policy refuses the worker.
    throw storageError(`openInWorker() could not start its worker: ${cause?.message ?? cause}`, cause);
  }
  const rpc = new Rpc(worker);
  const leadership = new Leadership();
  rpc.onRole = (role) => leadership.update(role);
  try {
    const opened = await rpc.call("open", [{ ...options, shared, leaderWaitMs }, await module]);
    leadership.update(opened.role);
    return new WorkerBackend(rpc, opened, leadership);
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

  constructor(rpc, { name, storage, methods, iterators }, leadership) {
    super();
    this.#rpc = rpc;
    Object.defineProperties(this, {
      name: { value: name, enumerable: true },
      storage: { value: storage, enumerable: true },
      leadership: { value: leadership, enumerable: true },
    });
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
        this.#ended = this.#rpc.call(ending).finally(() => {
          this.#rpc.terminate();
          globalThis.removeEventListener?.("pagehide", onHide);
          globalThis.removeEventListener?.("pageshow", onShow);
        });
        return this.#ended;
      };
    }
    this[Symbol.asyncDispose] = this.close;
    // A leader tab that goes away hands over at once, rather than when its worker is gone;
    // back from the back/forward cache, the tab queues for leadership again.
    const onHide = () => this.#rpc.tell({ leave: true });
    const onShow = (event) => event.persisted && this.#rpc.tell({ rejoin: true });
    if (leadership.role !== "exclusive" && typeof globalThis.addEventListener === "function") {
      globalThis.addEventListener("pagehide", onHide);
      globalThis.addEventListener("pageshow", onShow);
    }
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
    let signal;
    try {
      const last = args.length - 1;
      signal = args[last]?.signal;
      if (signal !== undefined) {
        const valid = signal instanceof AbortSignal;
        // The signal stays here; one that is not an AbortSignal is reported by the worker as
        // the module reports it: on the first next().
        args[last] = { ...args[last], signal: valid ? undefined : "not an AbortSignal" };
        if (!valid) signal = undefined;
      }
    } catch (cause) {
      // Options that throw when read (hostile getters, proxies) reject the first next(), as
      // bad options do without a worker: the call itself never throws.
      const failed = Promise.reject(invalid(`${method}: its options could not be read (${cause?.message ?? cause})`));
      failed.catch(() => {});
      return proxiedIterator({ nextBatch: () => failed, release: () => {} }, undefined);
    }
    const opened = this.#rpc.call("follow", [method, args]);
    opened.catch(() => {});
    const raw = {
      nextBatch: async () => this.#rpc.call("next", [await opened, BATCH]),
      release: () => {
        opened.then((id) => this.#rpc.call("release", [id])).catch(() => {});
      },
    };
    return proxiedIterator(raw, signal);
  }
}
