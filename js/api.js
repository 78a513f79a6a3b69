// The package's shared core: loading the module (each entry point says where the .wasm comes
// from) and registering FlowFabricError as the class every rejection is made of. The Backend
// class itself is the wasm-bindgen one: its methods are declared once, in src/js/backend.rs.

import init, { initSync as initWasmSync, openBackend, setErrorClass, Backend } from "../dist/wasm/ff_backend_wasm.js";
import { FlowFabricError } from "./error.js";

export { Backend };

let loading = null;
let loaded = false;

function ready() {
  setErrorClass(FlowFabricError);
  loaded = true;
}

/** Hands over the compiled module synchronously (Cloudflare Workers / workerd). */
export function initSync(options) {
  if (!loaded) {
    initWasmSync(options);
    ready();
  }
}

/** Loads the module once, from what `source()` yields (anything wasm-bindgen's init accepts). */
export function makeLoader(source) {
  return () => {
    if (loaded) return Promise.resolve();
    loading ??= (async () => {
      try {
        await init({ module_or_path: await source() });
        ready();
      } catch (cause) {
        loading = null; // a later open() tries again
        throw new FlowFabricError(`could not load the ff-backend-wasm module: ${cause?.message ?? cause}`, {
          kind: "storage",
          code: "storage_unavailable",
          cause,
        });
      }
    })();
    return loading;
  };
}

/** Builds `open()` for an entry point; `source()` yields what wasm-bindgen's init accepts. */
export function makeOpen(source) {
  const load = makeLoader(source);
  /** Opens a database: `open()` is in memory; `open({ storage: "opfs", name })` in a Worker. */
  return async function open(options) {
    await load();
    return openBackend(options);
  };
}

export const wasmUrl = () => new URL("../dist/wasm/ff_backend_wasm_bg.wasm", import.meta.url);

/**
 * The public methods of a Backend, read off the generated class: what the openInWorker proxy
 * and its worker forward. (`free` and `__`-names are wasm-bindgen's own plumbing: `close()`
 * is the public way to let go.)
 */
export function publicMethods() {
  return Object.getOwnPropertyNames(Backend.prototype).filter(
    (name) => name !== "constructor" && name !== "free" && !name.startsWith("__") &&
      typeof Object.getOwnPropertyDescriptor(Backend.prototype, name).value === "function",
  );
}
